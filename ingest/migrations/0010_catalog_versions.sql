-- Catalog tables keep every version of a row: the primary key is the natural key and the load.
--
-- Until now a catalog table's primary key was its natural key alone, so the loader could only
-- count a changed row (a module moved to another organization, a new description) as a
-- duplicate of the one already loaded, and the change was never applied. Now each load of a
-- changed row adds a version; the current one of a key is the version of its highest
-- _load_id (staging reads it through the macro current_versions), and the earlier ones stay
-- as its history. The constraints keep their names, so dropping and adding them again
-- changes nothing on a database that ran this already.
alter table raw.modules
    drop constraint if exists modules_pkey,
    add constraint modules_pkey primary key (module_name, _load_id);

alter table raw.module_versions
    drop constraint if exists module_versions_pkey,
    add constraint module_versions_pkey primary key (module_name, version, _load_id);

alter table raw.schema_fields
    drop constraint if exists schema_fields_pkey,
    add constraint schema_fields_pkey
        primary key (module_name, version, message_name, field_name, _load_id);

alter table raw.module_dependencies
    drop constraint if exists module_dependencies_pkey,
    add constraint module_dependencies_pkey
        primary key (module_name, version, depends_on_module, _load_id);

alter table raw.triggers
    drop constraint if exists triggers_pkey,
    add constraint triggers_pkey primary key (trigger_id, _load_id);
