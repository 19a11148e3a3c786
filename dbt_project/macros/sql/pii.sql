{#- Personal data reduced to what analytics needs, before anything downstream sees it. -#}

{#- A salted SHA-256 of a value (an IP address): countable, not reversible without the salt.
    The salt is a secret: set WAREHOUSE_PII_SALT in every real deployment. -#}
{% macro salted_hash(column) -%}
    encode(sha256(convert_to('{{ env_var("WAREHOUSE_PII_SALT", "dev-only-salt") }}' || {{ column }}::text, 'UTF8')), 'hex')
{%- endmacro %}

{#- The kind of client behind a user agent: cli, sdk, browser or other. -#}
{% macro client_family(user_agent) -%}
    case
        when {{ user_agent }} like 'spoke-cli/%' then 'cli'
        when {{ user_agent }} ~ '^spoke-[a-z]+-sdk/' then 'sdk'
        when {{ user_agent }} like 'Mozilla/%' then 'browser'
        else 'other'
    end
{%- endmacro %}

{#- The product/version token at the start of a user agent, e.g. `spoke-cli/1.4.2`. -#}
{% macro client_name(user_agent) -%}
    substring({{ user_agent }} from '^([A-Za-z0-9._-]+)/')
{%- endmacro %}
