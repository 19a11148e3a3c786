-- Builds (seed 004), issue 12: what the statistics marts need that 0005 did not record.
--
-- - error_type: the seed's error analytics ("by category, top errors by type") need the type
--   of a failure within its category. The taxonomy (seed 004, "Error Analytics"; the category
--   list of build_metrics.error_category) is a CHECK on the pair, so the loader, which reads
--   every CHECK constraint from the catalog, quarantines a type outside its category.
-- - queue_length: the seed monitors "queue length growing" and alerts on "queue length > 100
--   for > 1 hour"; each build records how many builds were waiting in the queue when it
--   started.
-- - status 'building': the seed's lifecycle (a build is "building" between its start and its
--   result); a build whose result never arrived stays so.
--
-- Idempotent: every statement checks first. NOT VALID: rows loaded before are not scanned
-- (they have no type and no queue length, which the rules allow).
alter type raw.build_status add value if not exists 'building';

alter table raw.build_events add column if not exists error_type text;
alter table raw.build_events add column if not exists queue_length integer;

do $$
begin
    if not exists (
        select from pg_constraint
        where conrelid = 'raw.build_events'::regclass and conname = 'error_type_in_category'
    ) then
        alter table raw.build_events add constraint error_type_in_category check (
            error_type is null
            or (error_category::text, error_type) in (
                ('validation', 'invalid_profile'),
                ('validation', 'invalid_version'),
                ('validation', 'package_conflict'),
                ('container', 'container_start_failed'),
                ('container', 'out_of_memory'),
                ('container', 'container_timeout'),
                ('build', 'package_not_found'),
                ('build', 'image_too_big'),
                ('build', 'make_failed'),
                ('storage', 'disk_full'),
                ('storage', 'upload_failed'),
                ('network', 'download_failed'),
                ('network', 'mirror_unreachable')
            )
        ) not valid;
    end if;
    if not exists (
        select from pg_constraint
        where conrelid = 'raw.build_events'::regclass and conname = 'queue_length_not_negative'
    ) then
        alter table raw.build_events
            add constraint queue_length_not_negative check (queue_length >= 0) not valid;
    end if;
end $$;
