"""Backups of a station's data folder, and restoring them (`restrike backup`/`restore`).

`create_backup` writes one ZIP file: the database (SQLite's online backup, consistent
while the station writes), the settings file, the operator token, an edited protocol
definition, the clip index and, optionally, the clips. `plan_restore` checks a backup
completely before `RestorePlan.apply` moves anything into a data folder. The built-in
plugin `backups` (`restrike.backups`) makes them on a schedule, with retention
(`naming`: their file names and which ones retention deletes).
See docs/operations.md.
"""

from restrike.backup.create import BackupSources, create_backup
from restrike.backup.manifest import Manifest, Member, open_backup
from restrike.backup.naming import backup_name, to_prune
from restrike.backup.restore import RestorePlan, plan_restore

__all__ = ["BackupSources", "Manifest", "Member", "RestorePlan", "backup_name", "create_backup",
           "open_backup", "plan_restore", "to_prune"]
