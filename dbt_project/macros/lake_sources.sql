{#
    The ingest sources, per engine. On DuckDB they are the warehouse tables ingest writes (or,
    with var duckdb_reads_lake, the lake itself). On Spark they are tables over the lake ingest
    writes beside them (var lake_dir), declared again at each run start so that batches landed
    since are seen.
#}
{% macro ingest_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if target.type == 'duckdb' and var('duckdb_reads_lake', false) -%}
        read_parquet(
            '{{ var("lake_dir") }}/{{ table_name }}/*/*/*.parquet', hive_partitioning = true
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- for source_name, table in [
        ('ingest', 'observations'),
        ('quarantine', 'rejected_records'),
        ('ingest_audit', 'ingested_batches'),
    ] -%}
        {%- set schema = graph.sources['source.engagement.' ~ source_name ~ '.' ~ table].schema -%}
        {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ table) -%}
        {%- do run_query('create table ' ~ schema ~ '.' ~ table ~ " using parquet location '"
                         ~ var('lake_dir') ~ '/' ~ table ~ "'") -%}
        {%- do run_query('msck repair table ' ~ schema ~ '.' ~ table) -%}
    {%- endfor -%}
{%- endmacro %}
