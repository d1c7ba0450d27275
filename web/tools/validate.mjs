// Validate .glb files with the Khronos glTF validator; print its report as JSON.
// Usage: node tools/validate.mjs FILE.glb [...]; exit status 1 when a file has an error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import validator from 'gltf-validator';

let failed = false;
const reports = [];
for (const file of process.argv.slice(2)) {
  const report = await validator.validateBytes(new Uint8Array(readFileSync(file)), {
    uri: basename(file),
    maxIssues: 100,
    externalResourceFunction: () => Promise.reject(new Error('external resources are not allowed')),
  });
  failed ||= report.issues.numErrors > 0;
  reports.push({ file, validatorVersion: report.validatorVersion, issues: report.issues, info: report.info });
}
console.log(JSON.stringify(reports, null, 2));
process.exit(failed ? 1 : 0);
