// Validate .glb files with the Khronos glTF validator; print its report as JSON.
// Usage: node tools/validate.mjs FILE.glb|.vrm|.gltf [...]; exit status 1 when a file has an error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import validator from 'gltf-validator';

let failed = false;
const reports = [];
for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(file));
  const glb = bytes[0] === 0x67 && bytes[1] === 0x6c && bytes[2] === 0x54 && bytes[3] === 0x46;
  const report = await validator.validateBytes(bytes, {
    uri: basename(file),
    format: glb ? 'glb' : 'gltf', // by content: a .vrm is a GLB too
    maxIssues: 100,
    externalResourceFunction: () => Promise.reject(new Error('external resources are not allowed')),
  });
  failed ||= report.issues.numErrors > 0;
  reports.push({ file, validatorVersion: report.validatorVersion, issues: report.issues, info: report.info });
}
console.log(JSON.stringify(reports, null, 2));
process.exitCode = failed ? 1 : 0; // not process.exit(): it would cut a long report short
