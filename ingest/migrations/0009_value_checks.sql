-- Value rules that belong to the tables themselves, so the loader (which reads every CHECK
-- constraint from the catalog and quarantines the rows that break one) and any other writer
-- see the same rules.

-- Sizes, durations and counts are never negative. A metric's value may be (gauges), so it has
-- no such rule. NOT VALID: rows already loaded are left alone (no scan, no failure on a
-- deployed database); every new row is checked.
do $$
declare
    rule record;
begin
    for rule in
        select * from (values
            ('download_events', 'file_size'),
            ('download_events', 'duration_ms'),
            ('compilation_events', 'duration_ms'),
            ('compilation_events', 'file_count'),
            ('compilation_events', 'output_size'),
            ('module_versions', 'size_bytes'),
            ('schema_fields', 'nesting_depth'),
            ('action_results', 'duration_ms'),
            ('action_results', 'retry_count'),
            ('build_requests', 'package_count'),
            ('build_requests', 'rootfs_size_mb'),
            ('build_events', 'duration_seconds')
        ) as rules (table_name, column_name)
    loop
        if not exists (
            select from pg_constraint
            where conrelid = format('raw.%I', rule.table_name)::regclass
              and conname = rule.column_name || '_not_negative'
        ) then
            execute format(
                'alter table raw.%I add constraint %I check (%I >= 0) not valid',
                rule.table_name, rule.column_name || '_not_negative', rule.column_name
            );
        end if;
    end loop;
end $$;

-- Whether a JSON text nests deeper than max_depth. The server's JSON parser recurses and
-- aborts the whole statement ("stack depth limit exceeded") at some ten thousand levels, so
-- the loader asks this first, for the rare long texts with many brackets. Brackets inside
-- strings do not count.
create or replace function raw.json_depth_exceeds(document text, max_depth integer)
returns boolean
language plpgsql immutable strict parallel safe as $$
declare
    bytes     bytea := convert_to(document, 'UTF8');
    depth     integer := 0;
    in_string boolean := false;
    escaped   boolean := false;
    byte      integer;
begin
    for position in 0 .. length(bytes) - 1 loop
        byte := get_byte(bytes, position);
        if in_string then
            if escaped then
                escaped := false;
            elsif byte = 92 then  -- backslash
                escaped := true;
            elsif byte = 34 then  -- double quote
                in_string := false;
            end if;
        elsif byte = 34 then
            in_string := true;
        elsif byte = 91 or byte = 123 then  -- [ {
            depth := depth + 1;
            if depth > max_depth then
                return true;
            end if;
        elsif byte = 93 or byte = 125 then  -- ] }
            depth := depth - 1;
        end if;
    end loop;
    return false;
end;
$$;
