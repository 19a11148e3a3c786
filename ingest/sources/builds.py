"""The firmware build service (seed 004): build requests and the builds they run (raw tables:
ingest/migrations/0005_builds.sql).

Sample data: requests for versions, targets and Zipf-popular profiles, 40% served from the
cache; builds that mostly succeed, failing by error category and type (the taxonomy of
migration 0012), a few still building; the queue length each build saw when it started,
following the hour of the day, with a backlog above 100 for a few hours on some days.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Any

from ingest.generator import (
    GeneratorSpec,
    Population,
    Row,
    Sample,
    SampleTable,
    moment,
    timestamp,
    zipf_weights,
)

TABLES = ("build_requests", "build_events")
# The error taxonomy: category -> type -> message (migration 0012 checks the pairs).
BUILD_ERRORS = {
    "validation": {
        "invalid_profile": "unknown profile requested",
        "invalid_version": "unsupported version",
        "package_conflict": "conflicting packages requested",
    },
    "container": {
        "container_start_failed": "container failed to start",
        "out_of_memory": "container exited with code 137",
        "container_timeout": "container did not answer in time",
    },
    "build": {
        "package_not_found": "unknown package requested",
        "image_too_big": "image exceeds the flash size",
        "make_failed": "make: *** [image] Error 2",
    },
    "storage": {
        "disk_full": "no space left on device",
        "upload_failed": "could not store the image",
    },
    "network": {
        "download_failed": "could not download package index",
        "mirror_unreachable": "mirror did not answer",
    },
}
TARGETS = ["x86/64", "ath79/generic", "ramips/mt7621", "mediatek/filogic", "bcm27xx/bcm2711"]
FIRMWARE_VERSIONS = ["23.05.5", "24.10.0", "24.10.1", "SNAPSHOT"]
BUILD_CLIENTS = ["asu-web/2.3", "owut/2024.12", "luci-app-attendedsysupgrade/1.1", "auc/0.3"]
PROFILES = [f"profile-{index:03d}" for index in range(60)]
NO_DURATION = ("cancelled", "building")
DAY_SHAPES = 24


def sample(spec: GeneratorSpec, population: Population) -> Sample:
    return Sample(
        event_tables=[
            SampleTable("build_requests", "requested_at", 0.08, _requests),
            SampleTable("build_events", "started_at", 0.07, _builds, enum_column="status"),
        ]
    )


def _request_shape(rng: random.Random) -> tuple[str, str, str, int, str]:
    """version, target, profile, extra packages, and the hash identifying the request."""
    version = rng.choices(FIRMWARE_VERSIONS, [2, 5, 4, 3])[0]
    target = rng.choices(TARGETS, [6, 3, 3, 2, 2])[0]
    profile = rng.choices(PROFILES, weights=zipf_weights(len(PROFILES)))[0]
    packages = rng.randint(0, 3)
    request_hash = hashlib.sha1(f"{version}|{target}|{profile}|{packages}".encode()).hexdigest()
    return version, target, profile, packages, request_hash[:16]


def _day_shapes(day: date) -> list[tuple[str, str, str, int, str]]:
    """The images built on a day: its first requests ask for exactly these, and every build
    of the day builds one of them, so a build's request hash is requested on its own day."""
    rng = random.Random(f"build-shapes:{day.isoformat()}")
    return [_request_shape(rng) for _ in range(DAY_SHAPES)]


def _requests(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
    rows = []
    shapes = _day_shapes(day)
    for index in range(count):
        shape = shapes[index] if index < len(shapes) else _request_shape(rng)
        version, target, profile, packages, request_hash = shape
        rows.append(
            {
                "event_id": f"req-{next(sequence):011d}",
                "requested_at": timestamp(moment(rng, day)),
                "request_hash": request_hash,
                "client": rng.choices(BUILD_CLIENTS, [5, 3, 3, 1])[0],
                "version": version,
                "target": target,
                "profile": profile,
                "diff_packages": packages > 0,
                "package_count": 40 + packages * 7,
                "has_custom_repos": rng.random() < 0.05,
                "has_defaults": rng.random() < 0.3,
                "rootfs_size_mb": rng.choice([104, 256]),
                "cache_hit": rng.random() < 0.4,
            }
        )
    return rows


def _builds(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
    rows = []
    shapes = _day_shapes(day)
    for _ in range(count):
        *_, request_hash = rng.choice(shapes)
        when = moment(rng, day)
        status = rng.choices(
            ["success", "failure", "timeout", "cancelled", "building"], [85, 11, 2, 1, 1]
        )[0]
        category = rng.choice(list(BUILD_ERRORS)) if status == "failure" else None
        error_type = rng.choice(list(BUILD_ERRORS[category])) if category else None
        finished = status != "building"
        duration = int(90 * rng.lognormvariate(0, 0.5)) if status not in NO_DURATION else None
        rows.append(
            {
                "event_id": f"bld-{next(sequence):011d}",
                "started_at": timestamp(when),
                "finished_at": (
                    timestamp(when + timedelta(seconds=duration or 5)) if finished else None
                ),
                "request_hash": request_hash,
                "client": rng.choices(BUILD_CLIENTS, [5, 3, 3, 1])[0],
                "duration_seconds": duration,
                "status": status,
                "error_category": category,
                "error_type": error_type,
                "error_message": BUILD_ERRORS[category][error_type] if category else None,
                "cache_hit": False,
                "worker_id": f"worker-{rng.randint(1, 8)}",
                "queue_length": _queue_length(rng, day, when.hour),
            }
        )
    return rows


def _queue_length(rng: random.Random, day: date, hour: int) -> int:
    """Builds waiting when a build starts: busier in the European evening; one day in eight
    has a backlog above 100 for three hours (the seed's alert)."""
    level = 15 + 35 * max(0.0, 1 - abs(hour - 19) / 6)
    backlog = random.Random(f"queue:{day.isoformat()}")
    if backlog.random() < 0.125 and 0 <= hour - backlog.randint(8, 18) < 3:
        level = 160
    return max(0, round(level + rng.gauss(0, 6)))
