"""Files written whole or not at all (hvrt._atomic)."""

import os
import stat

import pytest

from hvrt._atomic import atomic_path, replace_with


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_written_file_gets_the_mode_of_a_plain_write(tmp_path, mask):
    previous = os.umask(mask)
    try:
        (tmp_path / "plain").write_bytes(b"x")
        replace_with(tmp_path / "replaced", b"x")
        with atomic_path(tmp_path / "atomic") as temporary:
            temporary.write_bytes(b"x")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "replaced") == _mode(tmp_path / "plain") == 0o666 & ~mask
    assert _mode(tmp_path / "atomic") == 0o666 & ~mask


def test_a_file_written_over_keeps_its_mode(tmp_path):
    for path in (tmp_path / "private.hvrt", tmp_path / "shared.csv"):
        path.write_bytes(b"old")
    os.chmod(tmp_path / "private.hvrt", 0o600)
    os.chmod(tmp_path / "shared.csv", 0o664)
    with atomic_path(tmp_path / "private.hvrt") as temporary:
        temporary.write_bytes(b"new")
    replace_with(tmp_path / "shared.csv", b"new")
    assert _mode(tmp_path / "private.hvrt") == 0o600
    assert _mode(tmp_path / "shared.csv") == 0o664


def test_a_failed_write_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_link_at_the_target_is_replaced_not_written_through(tmp_path):
    precious = tmp_path / "precious.csv"
    precious.write_text("keep")
    link = tmp_path / "link.csv"
    link.symlink_to(precious)
    hard = tmp_path / "hard.csv"
    os.link(precious, hard)
    replace_with(link, b"new")
    replace_with(hard, b"new")
    assert precious.read_text() == "keep"
    assert not link.is_symlink() and link.read_bytes() == hard.read_bytes() == b"new"


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="the folder of .*nowhere.* does not exist"):
        with atomic_path(tmp_path / "nowhere" / "out.csv"):
            pass
