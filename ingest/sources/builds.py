"""The firmware build service (seed 004): build requests and the builds they run (raw tables:
ingest/migrations/0005_builds.sql).

Sample data: requests for versions, targets and Zipf-popular profiles, 40% served from the
cache; builds that mostly succeed, failing by error category.
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
BUILD_ERRORS = {
    "validation": "unknown package requested",
    "container": "container exited with code 137",
    "build": "make: *** [image] Error 2",
    "storage": "no space left on device",
    "network": "could not download package index",
}
TARGETS = ["x86/64", "ath79/generic", "ramips/mt7621", "mediatek/filogic", "bcm27xx/bcm2711"]
FIRMWARE_VERSIONS = ["23.05.5", "24.10.0", "24.10.1", "SNAPSHOT"]
BUILD_CLIENTS = ["asu-web/2.3", "owut/2024.12", "luci-app-attendedsysupgrade/1.1", "auc/0.3"]
PROFILES = [f"profile-{index:03d}" for index in range(60)]


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


def _requests(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
    rows = []
    for _ in range(count):
        version, target, profile, packages, request_hash = _request_shape(rng)
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
    for _ in range(count):
        *_, request_hash = _request_shape(rng)
        when = moment(rng, day)
        status = rng.choices(["success", "failure", "timeout", "cancelled"], [85, 11, 2, 2])[0]
        category = rng.choice(list(BUILD_ERRORS)) if status == "failure" else None
        duration = int(90 * rng.lognormvariate(0, 0.5)) if status != "cancelled" else None
        rows.append(
            {
                "event_id": f"bld-{next(sequence):011d}",
                "started_at": timestamp(when),
                "finished_at": timestamp(when + timedelta(seconds=duration or 5)),
                "request_hash": request_hash,
                "client": rng.choices(BUILD_CLIENTS, [5, 3, 3, 1])[0],
                "duration_seconds": duration,
                "status": status,
                "error_category": category,
                "error_message": BUILD_ERRORS[category] if category else None,
                "cache_hit": False,
                "worker_id": f"worker-{rng.randint(1, 8)}",
            }
        )
    return rows
