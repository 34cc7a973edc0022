"""`restrike backup` and `restrike restore`: a data folder to one file and back."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from restrike.cli import app
from restrike.errors import BackupError, ConfigError


def _folder(data_dir: Path | None, config: Path | None) -> tuple[Path, Path | None, Path | None]:
    """(data folder, settings file, recordings folder) from the options and the settings."""
    from restrike.config import load_settings

    if config is None and data_dir is not None:
        return data_dir, None, None
    settings = load_settings(config)
    folder = data_dir or settings.station.data_dir
    recordings = settings.review.recordings_root if data_dir is None else None
    return folder, settings.config_file, recordings


@app.command("backup")
def backup(
    data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                         help="The station's data folder; default: the one "
                                              "of the settings (--config)."),
    to: Path | None = typer.Option(None, "--to", dir_okay=False,
                                   help="The backup file to write; default: "
                                        "<data_dir>/backups/restrike-backup-<time>.zip"),
    config: Path | None = typer.Option(None, "--config",
                                       help="The station's settings file: backed up too "
                                            "(default: RESTRIKE_CONFIG, else "
                                            "<data_dir>/restrike.toml if there is one)."),
    with_clips: bool = typer.Option(False, "--with-clips", help="Add the clip files."),
) -> None:
    """Back up the database (safe while the station runs), settings and clip index."""
    from restrike.backup import BackupSources, backup_name, create_backup

    try:
        folder, config_file, recordings = _folder(data_dir, config)
        target = to or folder / "backups" / backup_name(time.time())
        manifest = create_backup(BackupSources(folder, config_file, recordings), target,
                                 with_clips=with_clips)
    except (BackupError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    counts = ", ".join(f"{v} {k}" for k, v in manifest.counts.items())
    print(f"backup written to {target}: {len(manifest.members)} files ({counts})")


@app.command("restore")
def restore(
    file: Path = typer.Argument(..., dir_okay=False, help="The backup file."),
    data_dir: Path = typer.Option(..., "--data-dir", file_okay=False,
                                  help="The data folder to restore into (empty or new)."),
    force: bool = typer.Option(False, "--force",
                               help="Restore into a folder that is not empty, replacing "
                                    "the files the backup has (the station must be stopped)."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Check the backup and say what would be done; change "
                                      "nothing."),
) -> None:
    """Restore a backup into a data folder. Exit 2: the file is damaged or no backup."""
    from restrike.backup import plan_restore

    try:
        plan = plan_restore(file, data_dir, replace=force and not dry_run)
    except BackupError as err:
        print(f"error: {err}; nothing was changed", file=sys.stderr)
        raise typer.Exit(2) from err
    try:
        for line in plan.describe():
            print(line)
        if plan.present and not force:
            shown = ", ".join(plan.present[:5]) + (" ..." if len(plan.present) > 5 else "")
            print(f"error: {data_dir} is not empty ({shown}); use --force to replace its "
                  "files, or restore into a new folder", file=sys.stderr)
            raise typer.Exit(1)
        if dry_run:
            print("dry run: nothing was changed")
            return
        plan.apply()
    except BackupError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(1) from err
    finally:
        plan.discard()
    print(f"restored into {data_dir}")
