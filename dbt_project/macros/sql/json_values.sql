{#- Typed values out of a JSON document a client wrote, never failing the build: a value of
    another JSON type (a "yes" where a boolean belongs, a number as a string) is null, as is
    a missing key or a document that is not an object. `path` is a list of keys. -#}
{% macro json_text(document, path) -%}
    case
        when jsonb_typeof({{ document }} #> '{{ "{" ~ (path | join(",")) ~ "}" }}') in ('string', 'number', 'boolean')
            then {{ document }} #>> '{{ "{" ~ (path | join(",")) ~ "}" }}'
    end
{%- endmacro %}

{% macro json_number(document, path) -%}
    case
        when jsonb_typeof({{ document }} #> '{{ "{" ~ (path | join(",")) ~ "}" }}') = 'number'
            then ({{ document }} #>> '{{ "{" ~ (path | join(",")) ~ "}" }}')::double precision
    end
{%- endmacro %}

{% macro json_boolean(document, path) -%}
    case
        when jsonb_typeof({{ document }} #> '{{ "{" ~ (path | join(",")) ~ "}" }}') = 'boolean'
            then ({{ document }} #>> '{{ "{" ~ (path | join(",")) ~ "}" }}')::boolean
    end
{%- endmacro %}
