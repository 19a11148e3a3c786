{#- Personal data reduced to what analytics needs, before anything downstream sees it. -#}

{#- A salted SHA-256 of a value (an IP address): countable, not reversible without the salt.
    The salt is a secret from env WAREHOUSE_PII_SALT (the embedded warehouse makes its own,
    ingest.warehouse.pii_salt); without one, staging refuses to build rather than hash with a
    constant anyone could enumerate IPv4 against. -#}
{% macro salted_hash(column) -%}
    {%- set salt = env_var("WAREHOUSE_PII_SALT", "") -%}
    {%- if execute and not salt -%}
        {{ exceptions.raise_compiler_error(
            "WAREHOUSE_PII_SALT is not set: the IP addresses would be hashed without a secret."
            ~ " Set it to a long random value, or `eval \"$(make -s env)\"` for the embedded"
            ~ " warehouse") }}
    {%- endif -%}
    {{ sha256_hex("'" ~ salt ~ "' || cast(" ~ column ~ " as " ~ type_text() ~ ")") }}
{%- endmacro %}

{#- The kind of client behind a user agent: cli, sdk, browser or other. -#}
{% macro client_family(user_agent) -%}
    case
        when {{ user_agent }} like 'spoke-cli/%' then 'cli'
        when {{ matches_regex(user_agent, '^spoke-[a-z]+-sdk/') }} then 'sdk'
        when {{ user_agent }} like 'Mozilla/%' then 'browser'
        else 'other'
    end
{%- endmacro %}

{#- The product/version token at the start of a user agent, e.g. `spoke-cli/1.4.2`. -#}
{% macro client_name(user_agent) -%}
    {{ regex_group(user_agent, '^([A-Za-z0-9._-]+)/') }}
{%- endmacro %}
