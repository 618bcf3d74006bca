"""guanjia backup / restore: a round trip gives back every table, row for row."""

import json
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from guanjia.core.backup import BackupError, backup, checksums, restore
from guanjia.projects.models import Project
from guanjia.testing.factories import ProjectFactory


@pytest.fixture
def private(settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path / "private"
    (tmp_path / "private" / "attachments").mkdir(parents=True)
    (tmp_path / "private" / "attachments" / "a.pdf").write_bytes(b"%PDF-1.4 kept")
    return tmp_path / "private"


def test_checksums_change_with_the_content(db, linghai):
    before = checksums()
    project = ProjectFactory(name="针状焦项目", region=linghai)
    after = checksums()
    assert after["projects_project"]["rows"] == before["projects_project"]["rows"] + 1
    assert after["projects_project"]["sha256"] != before["projects_project"]["sha256"]
    Project.objects.filter(pk=project.pk).update(name="针状焦项目（二期）")
    assert checksums()["projects_project"]["sha256"] != after["projects_project"]["sha256"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's VACUUM INTO")
def test_a_sqlite_backup_is_a_consistent_copy_with_its_manifest(
    transactional_db, linghai, tmp_path, private
):
    ProjectFactory.create_batch(3, region=linghai)
    manifest = backup(tmp_path / "b")
    copy = sqlite3.connect(tmp_path / "b" / "database.sqlite3")
    (rows,) = copy.execute("SELECT count(*) FROM projects_project").fetchone()
    assert rows == manifest["tables"]["projects_project"]["rows"] == 3
    saved = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert saved["tables"] == manifest["tables"] and saved["engine"] == "sqlite"
    assert (tmp_path / "b" / "private.tar.gz").is_file()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump / pg_restore")
def test_a_postgresql_round_trip_gives_back_every_row(transactional_db, heishan, tmp_path, private):
    kept = ProjectFactory(name="国家电投黑山风电项目", region=heishan)
    manifest = backup(tmp_path / "b")
    # What happens after the backup is undone by the restore.
    Project.objects.filter(pk=kept.pk).delete()
    ProjectFactory(name="备份之后的项目", region=heishan)
    (private / "attachments" / "a.pdf").unlink()
    assert checksums() != manifest["tables"]
    assert restore(tmp_path / "b") == []
    assert list(Project.objects.values_list("name", flat=True)) == ["国家电投黑山风电项目"]
    assert (private / "attachments" / "a.pdf").read_bytes() == b"%PDF-1.4 kept"


def test_a_backup_goes_only_into_an_empty_folder_and_restore_needs_a_manifest(db, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup(tmp_path / "full")
    with pytest.raises(CommandError, match="not a Guanjia backup"):
        call_command("restore", str(tmp_path / "full"), "--yes")


def test_restore_refuses_a_backup_of_the_other_engine(db, tmp_path):
    (tmp_path / "b").mkdir()
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    (tmp_path / "b" / "manifest.json").write_text(json.dumps({"engine": other, "tables": {}}))
    with pytest.raises(BackupError, match="cannot go into"):
        restore(tmp_path / "b")
