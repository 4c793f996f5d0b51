"""Finding, downloading and verifying data files: one line naming the file and both checksums, never a traceback."""
import gzip
import hashlib

import numpy as np
import pytest

import tasks
from tasks.datafiles import DataFile, locate
from tasks.mnist import DATA_FILES, read_idx


def published(tmp_path, content: bytes = b"the published bytes") -> tuple[DataFile, bytes]:
    """A DataFile whose one URL is a local file:// copy of `content`."""
    source = tmp_path / "server" / "data.bin"
    source.parent.mkdir()
    source.write_bytes(content)
    return DataFile("data.bin", hashlib.sha256(content).hexdigest(), "things", (source.as_uri(),)), content


@pytest.fixture
def no_configured_folder(tmp_path, monkeypatch):
    """No $RNN_ZOO_DATA, and Keras's datasets cache in tmp_path/keras."""
    monkeypatch.delenv("RNN_ZOO_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"


def test_a_configured_folder_is_searched_with_and_without_the_subfolder(tmp_path, monkeypatch):
    file, content = published(tmp_path)
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "data.bin").write_bytes(content)
    assert locate(file, str(tmp_path / "flat"), "x.data_dir") == tmp_path / "flat" / "data.bin"
    (tmp_path / "root" / "things").mkdir(parents=True)
    (tmp_path / "root" / "things" / "data.bin").write_bytes(content)
    monkeypatch.setenv("RNN_ZOO_DATA", str(tmp_path / "root"))
    assert locate(file, None, "x.data_dir") == tmp_path / "root" / "things" / "data.bin"


@pytest.mark.parametrize("bad", [b"the published", b"other bytes entirely"])  # truncated, or another file
def test_a_wrong_local_file_is_one_line_with_both_checksums(tmp_path, bad):
    file, _ = published(tmp_path)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "data.bin").write_bytes(bad)
    with pytest.raises(tasks.DataUnavailableError) as err:
        locate(file, str(tmp_path / "local"), "x.data_dir")
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "local" / "data.bin") in message
    assert f"sha256 {hashlib.sha256(bad).hexdigest()}, expected {file.sha256}" in message


def test_a_configured_folder_without_the_file_never_downloads(tmp_path, monkeypatch, no_configured_folder):
    file, _ = published(tmp_path)
    monkeypatch.setenv("RNN_ZOO_DATA", str(tmp_path / "empty"))
    with pytest.raises(tasks.DataUnavailableError, match=r"\$RNN_ZOO_DATA=.*empty holds no things/data.bin"):
        locate(file, None, "x.data_dir")
    assert not no_configured_folder.exists()


def test_without_a_folder_the_file_is_downloaded_once_into_the_cache(tmp_path, no_configured_folder):
    file, content = published(tmp_path)
    path = locate(file, None, "x.data_dir")
    assert path == no_configured_folder / "things" / "data.bin" and path.read_bytes() == content
    (tmp_path / "server" / "data.bin").unlink()  # the server is gone: the cached copy serves
    assert locate(file, None, "x.data_dir") == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.bin"]  # no partial files left


def test_a_download_with_other_bytes_is_never_kept_and_the_next_mirror_is_tried(tmp_path, no_configured_folder):
    file, _ = published(tmp_path)
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"a mirror's stale copy")
    both = DataFile(file.name, file.sha256, file.subdir, (wrong.as_uri(),) + file.urls)
    assert locate(both, None, "x.data_dir").read_bytes() == b"the published bytes"
    (no_configured_folder / "things" / "data.bin").unlink()
    bad = DataFile(file.name, file.sha256, file.subdir, (wrong.as_uri(), (tmp_path / "missing.bin").as_uri()))
    with pytest.raises(tasks.DataUnavailableError) as err:
        locate(bad, None, "x.data_dir")
    message = str(err.value)
    assert "\n" not in message and message.startswith("data.bin could not be downloaded")
    assert f"expected {file.sha256}" in message and "missing.bin" in message and "RNN_ZOO_DATA" in message
    assert not any((no_configured_folder / "things").iterdir())


def test_every_mnist_file_has_a_tfds_and_a_torchvision_mirror():
    for file in DATA_FILES.values():
        assert [u.rsplit("/", 1)[1] for u in file.urls] == [file.name] * 2
        assert file.urls[0].startswith("https://storage.googleapis.com/cvdf-datasets/mnist/")  # TFDS's source


def test_a_truncated_mnist_file_fails_check_data_in_one_line(tmp_path):
    (tmp_path / "mnist").mkdir()
    for file in DATA_FILES.values():
        (tmp_path / "mnist" / file.name).write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(12))[:20])
    with pytest.raises(tasks.DataUnavailableError) as err:
        tasks.create_task("smnist", data_dir=str(tmp_path)).check_data()
    assert "\n" not in str(err.value) and "expected 440fcabf" in str(err.value)  # the training images, first


def test_read_idx_reads_the_header_and_data(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = np.array([0x0803, 2, 3, 4], dtype=">i4").tobytes()
    (tmp_path / "images.gz").write_bytes(gzip.compress(header + images.tobytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "images.gz"), images)
