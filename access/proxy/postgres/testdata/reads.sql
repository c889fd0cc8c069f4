# Legitimate reads, one per line; each returns through the proxy exactly what
# a direct connection returns. "\n" is a newline.
select 1
select 1, 'two', 3.0::numeric, null
select * from accounts order by id
select count(*) from accounts
select name, balance from accounts where balance > 100 order by balance desc limit 5
select * from events order by id limit 20
select kind, count(*) from events group by kind order by kind
select a.name, count(e.id) from accounts a left join events e on e.account_id = a.id group by a.name order by 1
select * from rich order by id
table accounts
table rich
values (1, 'a'), (2, 'b')
values (1) union all values (2) order by 1
with t as (select id from accounts where id < 5) select * from t order by id
with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n) from r
with a as (select 1 as x), b as (select 2 as y) select * from a, b
select label(name) from accounts order by id limit 3
select upper(name), lower(name), length(name) from accounts order by id limit 5
select last_value from invoice_no
select currval('invoice_no') is null
select exists(select 1 from accounts where id = 3)
select id from accounts where id in (select account_id from events where kind = 'login') order by id
select id, sum(balance) over (order by id) from accounts order by id limit 10
select row_number() over (partition by kind order by id), id from events order by id limit 10
select json_agg(a order by id) from accounts a where id < 4
select jsonb_build_object('a', 1, 'b', array[1,2])
select array_agg(id order by id) from accounts
select string_agg(name, ',' order by name) from accounts
select generate_series(1, 5)
select * from generate_series(1, 3) g cross join lateral (select g * 2 as d) l
select date_trunc('day', at) as d, count(*) from events group by 1 order by 1
select extract(year from timestamptz '2024-05-06 00:00+00')
select 'abc' ~ 'b', 'abc' like 'a%'
select md5(string_agg(name, '' order by id)) from accounts
select pg_typeof(1.5), pg_typeof('x'::text)
select * from moods order by id
select m, m::text from moods order by m
select count(*) from pg_class where relname = 'accounts'
select relname from pg_class where relname in ('accounts', 'events') order by 1
select current_setting('default_transaction_read_only')
select current_setting('transaction_read_only')
select count(*) from pg_largeobject_metadata
select 'a' || null, coalesce(null, 'b')
select 10 / 3, 10.0 / 3, 10 % 3
select null::int is null
select case when 1 > 0 then 'yes' else 'no' end
select * from (values (1, 'x'), (2, 'y')) v(id, t) where id = 2
select distinct kind from events order by kind
select kind from events except select 'view' order by 1
select id from accounts intersect select account_id from events order by 1 limit 5
select * from accounts tablesample system (100) repeatable (1) order by id limit 3
show default_transaction_read_only
show search_path
show transaction_read_only
explain (costs off) select * from accounts where id = 1
explain (costs off) with t as (select 1) select * from t
explain (analyze, costs off, timing off, summary off) select 1
select 1; select 2
begin read only; select count(*) from accounts; commit
begin; select 1; rollback
set statement_timeout = '5s'; show statement_timeout
set local statement_timeout = '8s'
reset statement_timeout
set transaction isolation level repeatable read
select pg_catalog.set_config('search_path', 'public', false)
select set_config('application_name', 'devenv-reads', false), current_setting('application_name')
set lock_timeout = '500ms'; show lock_timeout
set time zone 'UTC'; show timezone
set extra_float_digits = 1
set search_path to default
reset all
show standard_conforming_strings
show client_encoding
select 'a\' , ' ; commit; set default_transaction_read_only = off; insert into audit_log values ($$desync$$); --'
select 'x\' || ' ; delete from accounts; --', E'\' ; no'
select E'a'\n'\' ; delete from accounts; --'
set client_encoding to 'UTF8'
set standard_conforming_strings = on; show standard_conforming_strings
select set_config('client_encoding', 'utf-8', false), current_setting('client_encoding')
select lo_get(424242)
select lo_get(424242, 0, 5)
select pg_catalog.lower('ABC'), pg_catalog.initcap('abc def')
select label('x'), public.label('y')
select pg_backend_pid() > 0, current_user, session_user, version() like 'PostgreSQL%'
select to_jsonb(a) from accounts a where id = 1
select jsonb_path_query_array('{"a":[1,2,3]}', '$.a[*] ? (@ > 1)')
select pg_size_pretty(pg_relation_size('accounts')) is not null
select xpath('/a/text()', '<a>x</a>')
select pg_sleep(0)
select gen_random_uuid() is not null
select regexp_replace('abc', 'b', 'x'), split_part('a,b', ',', 2), format('%s-%s', 1, 2)
select has_table_privilege('accounts', 'select'), pg_table_is_visible('accounts'::regclass)
select pg_get_viewdef('rich'::regclass)
select date_trunc('month', at), age(at, timestamptz '2020-01-01') from events order by id limit 2
select to_tsvector('english', 'the quick brown fox') @@ to_tsquery('english', 'fox')
select inet '10.1.2.3/8' << inet '10.0.0.0/8', host(inet '10.1.2.3/8'), masklen(cidr '10.0.0.0/8')
select int4range(1, 5) @> 3, lower(int4range(1, 5)), upper(numrange(1.5, 2.5))
select count(*) filter (where kind = 'login'), percentile_cont(0.5) within group (order by id) from events
select lag(id) over w, lead(id) over w, ntile(3) over w from accounts window w as (order by id) order by id limit 5
prepare pr1 as select name from accounts where id = $1; execute pr1(3); deallocate pr1
prepare pr2(int) as select count(*) from events where account_id = $1; explain (costs off) execute pr2(1); deallocate pr2
discard all
select * from accounts tablesample bernoulli (100) repeatable (1) order by id limit 2
select * from clean_view order by id
select a.name, (a).id from accounts a order by id limit 3
select 1 where 1 in (1, 2) and 2 between 1 and 3
select case 2 when 1 then 'a' else 'b' end, nullif(1, 2), 1 is distinct from 2
select count(*) from accounts join events using (id)
