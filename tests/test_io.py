import os

import numpy as np
import pytest

from b2m._utils._io import atomic_path, save_json, save_npz


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "x.json"
    save_json(target, {"a": 1})
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text().strip().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_atomic_files_get_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_npz(tmp_path / "a.npz", x=np.arange(3))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert np.load(path)["x"].tolist() == [0, 1, 2]
