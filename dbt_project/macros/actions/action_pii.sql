{#- Personal data in action results reduced before anything downstream sees it, as registry
    staging reduces IP addresses (macros/sql/pii.sql): an e-mail address in an error message
    becomes `<email>` (so the message still groups with the same error for other
    recipients), and the response's `recipient` is kept only as its salted SHA-256
    (`recipient_hash`). An empty message is no message (NULL). -#}
{% macro redacted_error_message(column) -%}
    nullif(
        regexp_replace(
            {{ column }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '<email>', 'g'
        ),
        ''
    )
{%- endmacro %}

{% macro reduced_response_data(column) -%}
    case
        when jsonb_typeof({{ column }}) = 'object' and {{ column }} ? 'recipient'
            then ({{ column }} - 'recipient')
            || jsonb_build_object(
                'recipient_hash', {{ salted_hash('(' ~ column ~ " ->> 'recipient')") }}
            )
        else {{ column }}
    end
{%- endmacro %}
