{#- SQL condition: an event reaches a funnel step. By name; generation_started is any
    doc_generation event and generation_completed a successful one (seed 003: "derived from
    doc_generation events"). -#}
{% macro funnel_step_matches(event, step_event) -%}
    (
        {{ step_event }} = {{ event }}.event_name
        or (
            {{ step_event }} = 'generation_started'
            and {{ event }}.event_name = 'doc_generation'
        )
        or (
            {{ step_event }} = 'generation_completed'
            and {{ event }}.event_name = 'doc_generation'
            and {{ event }}.is_success
        )
    )
{%- endmacro %}
