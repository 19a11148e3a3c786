-- Product (seeds 002, 003), issue 13: seed 003 names four event categories (workflow,
-- business, usage, system); an event outside them is a bad row. A CHECK, so the loader, which
-- reads every CHECK constraint from the catalog, quarantines it with the reason. An event
-- without a category (seed 002's events carry none) stays allowed.
--
-- Idempotent: checks first. NOT VALID: rows loaded before are not scanned.
do $$
begin
    if not exists (
        select from pg_constraint
        where conrelid = 'raw.analytics_events'::regclass and conname = 'category_in_seed'
    ) then
        alter table raw.analytics_events add constraint category_in_seed check (
            category in ('workflow', 'business', 'usage', 'system')
        ) not valid;
    end if;
end $$;
