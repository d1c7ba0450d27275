import pickle

import numpy as np
import pytest

from selftalk.errors import InputError
from selftalk.mesh import read_mesh, write_mesh
from selftalk.topology import Topology, read_indices, write_indices

VERTICES = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0.5, 0.5, 1]], np.float32)
FACES = np.array([[0, 1, 2], [1, 3, 2], [0, 1, 4]])


@pytest.mark.parametrize("suffix", [".ply", ".obj"])
def test_mesh_round_trip_keeps_vertex_order(tmp_path, suffix):
    write_mesh(tmp_path / f"m{suffix}", VERTICES, FACES)
    mesh = read_mesh(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(mesh.vertices, VERTICES)
    np.testing.assert_array_equal(mesh.faces, FACES)


def test_obj_with_texture_indices_and_quads(tmp_path):
    path = tmp_path / "q.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 1\nf 1/1 2/2 3/1 4/2\n")
    mesh = read_mesh(path)
    assert len(mesh.vertices) == 4
    np.testing.assert_array_equal(mesh.faces, [[0, 1, 2], [0, 2, 3]])


def test_bad_meshes_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such mesh"):
        read_mesh(tmp_path / "missing.ply")
    (tmp_path / "x.stl").write_text("solid")
    with pytest.raises(InputError, match="unsupported mesh format"):
        read_mesh(tmp_path / "x.stl")
    (tmp_path / "bad.obj").write_text("v 0 0 0\nf 1 2 3\n")
    with pytest.raises(InputError, match="does not exist"):
        read_mesh(tmp_path / "bad.obj")


def test_index_lists_in_every_format(tmp_path):
    (tmp_path / "a.txt").write_text("3, 1,\n 4\n")
    np.save(tmp_path / "b.npy", np.array([3, 1, 4]))
    with open(tmp_path / "masks.pkl", "wb") as f:
        pickle.dump({"lips": np.array([3, 1, 4]), "eyes": np.array([0])}, f, protocol=2)
    for path in ("a.txt", "b.npy"):
        assert read_indices(tmp_path / path).tolist() == [3, 1, 4]
    assert read_indices(tmp_path / "masks.pkl", key="lips").tolist() == [3, 1, 4]
    with pytest.raises(InputError, match="has no region 'mouth'"):
        read_indices(tmp_path / "masks.pkl", key="mouth")
    write_indices(tmp_path / "c.txt", np.array([5, 6]))
    assert (tmp_path / "c.txt").read_text() == "5, 6\n"
    (tmp_path / "d.txt").write_text("1, two")
    with pytest.raises(InputError, match="integer"):
        read_indices(tmp_path / "d.txt")


def test_topology_from_files_and_validation(tmp_path):
    write_mesh(tmp_path / "m.ply", VERTICES, FACES)
    write_indices(tmp_path / "lve.txt", np.array([0, 1]))
    write_indices(tmp_path / "fdd.txt", np.array([4]))
    topo = Topology.from_files(
        mesh=tmp_path / "m.ply", lip=tmp_path / "lve.txt", upper_face=tmp_path / "fdd.txt", fps=25
    )
    assert topo.n_vertices == 5 and topo.fps == 25.0
    assert topo.lip_indices.tolist() == [0, 1] and topo.upper_face_indices.tolist() == [4]
    write_indices(tmp_path / "bad.txt", np.array([0, 9]))
    with pytest.raises(ValueError, match="outside"):
        Topology.from_files(mesh=tmp_path / "m.ply", lip=tmp_path / "bad.txt", fps=25)
