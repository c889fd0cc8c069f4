# Write attempts, one per line; each must be refused by the proxy itself.
# "\n" in a line is a newline. Lines starting with # are comments.
insert into accounts (name, balance) values ('mallory', 1)
update accounts set balance = 0
delete from accounts
truncate accounts
merge into accounts a using (select 1 as id) s on a.id = s.id when matched then update set balance = 0
insert into audit_log values ('x') returning *
update accounts set name = 'x' where id = 1 returning id
delete from events where id < 10 returning *
commit; delete from accounts
select 1; delete from accounts
begin; insert into audit_log values ('x'); commit
rollback; update accounts set balance = 1
select 1; select 2; truncate events
/* harmless */ delete from accounts
-- comment\ndelete from accounts
/* nested /* comment */ */ update accounts set balance = 2
   insert into audit_log values ('leading spaces')
;;; delete from accounts
with x as (delete from accounts returning *) select * from x
with x as (update accounts set balance = 0 returning *) select count(*) from x
with x as (insert into audit_log values ('cte') returning *) select * from x
with a as (select 1), b as (delete from events returning id) select * from a
with recursive r as (select 1) , w as (insert into audit_log values ('rec') returning 1) select * from r
with x as (select 1) delete from accounts
with x as (select 1) insert into audit_log select 'y' from x
explain analyze delete from accounts
explain analyze update accounts set balance = 0
explain (analyze, format json) insert into audit_log values ('e')
explain analyze with x as (delete from accounts returning 1) select * from x
explain delete from accounts
explain analyze create table t_explain as select 1
explain analyze execute evil_plan
select nextval('invoice_no')
select setval('invoice_no', 1)
select setval('invoice_no', 1, false)
select currval('invoice_no'), nextval('invoice_no')
select * from accounts where id = nextval('invoice_no')
select (select nextval('invoice_no'))
select pg_advisory_lock(1)
select pg_advisory_xact_lock(1)
select pg_try_advisory_lock(1)
select pg_advisory_lock_shared(1)
select pg_try_advisory_xact_lock(2)
select pg_advisory_unlock_all()
select pg_terminate_backend(1)
select pg_cancel_backend(1)
select pg_reload_conf()
select pg_rotate_logfile()
select pg_switch_wal()
select pg_create_restore_point('x')
select pg_read_file('/etc/passwd')
select pg_read_binary_file('/etc/passwd')
select pg_ls_dir('.')
select pg_stat_file('postgresql.conf')
select pg_ls_logdir()
select pg_catalog.pg_read_file('postgresql.conf', 0, 100)
select lo_import('/etc/passwd')
select lo_export(424242, '/tmp/devenv_lo_export')
select lo_create(0)
select lo_unlink(424242)
select lo_from_bytea(0, 'x')
select lo_put(424242, 0, 'overwrite')
select lo_truncate(lo_open(424242, 131072), 0)
select lowrite(lo_open(424242, 131072), 'x')
select loread(lo_open(424242, 262144), 10)
select pg_catalog.lo_unlink(424242)
select set_config('default_transaction_read_only', 'off', false)
select set_config('transaction_read_only', 'off', true)
select set_config('role', 'postgres', false)
select txid_current()
select pg_current_xact_id()
select pg_notify('chan', 'payload')
select pg_logical_emit_message(true, 'x', 'y')
select pg_create_physical_replication_slot('devenv_slot')
select pg_create_logical_replication_slot('devenv_slot', 'test_decoding')
select pg_drop_replication_slot('devenv_slot')
select pg_stat_reset()
select pg_replication_origin_create('x')
select query_to_xml('select nextval(''invoice_no'')', true, true, '')
select query_to_xml_and_xmlschema('delete from accounts returning 1', true, true, '')
select ts_stat('select nextval(''invoice_no'')::text::tsvector')
select dblink_exec('dbname=postgres', 'delete from accounts')
select * from dblink('dbname=postgres', 'select 1') as t(x int)
select bump()
select * from bump()
select public.bump()
select id, bump() from accounts
select touch(1)
select 1 where bump() = 1
select coalesce(null, bump())
select * from accounts where id in (select bump())
call wipe()
do $$ begin delete from accounts; end $$
do language sql $$ delete from accounts $$
copy accounts from stdin
copy audit_log from '/etc/passwd'
copy accounts to '/tmp/devenv_copy_out'
copy (select 1) to program 'touch /tmp/devenv_pwned'
copy audit_log from program 'echo pwned'
copy (delete from accounts returning *) to stdout
copy (insert into audit_log values ('c') returning *) to stdout
copy (select nextval('invoice_no')) to stdout
select * into stolen from accounts
select * into temp stolen from accounts
select * into unlogged table stolen from accounts
create table stolen as select * from accounts
create table x (id int)
create temp table x (id int)
create index on accounts (name)
create sequence s2
create function f2() returns int language sql as $$ select 1 $$
create or replace function label(text) returns text language sql volatile as $$ delete from accounts returning 'x' $$
create view v2 as select 1
create materialized view mv as select 1
refresh materialized view rich
create extension dblink
create role evil superuser
create schema s
alter table accounts add column x int
alter table accounts rename to accounts2
alter sequence invoice_no restart with 1
alter role postgres password 'x'
alter system set default_transaction_read_only = off
alter database postgres set default_transaction_read_only = off
alter user current_user set default_transaction_read_only = off
drop table audit_log
drop view rich
drop function bump()
comment on table accounts is 'pwned'
grant all on accounts to public
revoke select on accounts from public
security label on table accounts is 'x'
select * from accounts for update
select * from accounts for share
select * from accounts for no key update
select * from accounts for key share
select * from accounts for update nowait
select * from accounts for update skip locked
select * from (select * from accounts for update) s
with x as (select * from accounts for update) select * from x
select 1 from accounts a join events e on e.account_id = a.id for update of a
set default_transaction_read_only = off
set transaction_read_only = off
set session default_transaction_read_only to off
set local transaction_read_only = off
reset default_transaction_read_only
reset transaction_read_only
set role postgres
set role none
reset role
set session authorization postgres
set session authorization default
reset session authorization
set session_replication_role = replica
begin read write
begin transaction read write
begin isolation level serializable, read write
start transaction read write
start transaction isolation level read committed read write
begin; set transaction read write
set transaction read write
set transaction isolation level serializable read write
set session characteristics as transaction read write
set session characteristics as transaction isolation level serializable, read write
prepare evil(int) as delete from accounts where id = $1
prepare evil2 as insert into audit_log values ('p')
prepare evil3 as select nextval('invoice_no')
prepare evil4 as select * from accounts for update
execute evil_plan
execute evil(1)
prepare transaction 'px'
commit prepared 'px'
rollback prepared 'px'
listen chan
notify chan, 'x'
unlisten chan
vacuum accounts
vacuum full
analyze accounts
analyze
cluster accounts using accounts_pkey
reindex table accounts
lock table accounts in access exclusive mode
lock accounts
checkpoint
load 'auto_explain'
declare c cursor for delete from accounts returning *
declare c cursor for select * from accounts for update
declare c cursor for select nextval('invoice_no')
import foreign schema x from server y into z
create server s foreign data wrapper dblink_fdw
reassign owned by postgres to postgres
drop owned by current_user
create rule r as on select to accounts do instead nothing
create trigger t before insert on accounts for each row execute function bump()
create event trigger e on ddl_command_start execute function bump()
create publication p for all tables
create subscription s connection 'dbname=x' publication p
set search_path = public; delete from accounts
show all; insert into audit_log values ('after show')
select 1 +
select * from accounts where
insert into
selec 1
# Settings that change how the server lexes a query: after them the proxy's
# parser and the server would disagree on where a literal or a statement ends.
set standard_conforming_strings = off
set standard_conforming_strings to off
set session standard_conforming_strings = off
set local standard_conforming_strings = off
set standard_conforming_strings to default
reset standard_conforming_strings
select set_config('standard_conforming_strings', 'off', false)
select pg_catalog.set_config('standard_conforming_strings', 'off', true)
set backslash_quote = on
select set_config('backslash_quote', 'on', false)
set escape_string_warning = off
select set_config('escape_string_warning', 'off', false)
set client_encoding = 'SJIS'
set client_encoding to 'GBK'
set client_encoding = 'BIG5'
set client_encoding = 'GB18030'
set names 'SJIS'
set names 'GBK'
set names 'BIG5'
set names 'GB18030'
select set_config('client_encoding', 'SJIS', false)
select set_config('client_encoding', 'GBK', false)
select set_config('client_encoding', 'BIG5', true)
select set_config('client_encoding', 'GB18030', false)
reset client_encoding
set client_encoding to default
set standard_conforming_strings = off; select 'a\' , ' ; delete from accounts; --'
set names 'SJIS'; select 'x'
select 1; set client_encoding = 'GBK'
# A PostgreSQL 15 server continues a literal across a -- comment and a newline;
# pg_query does not, sees two literals in a row and refuses the text.
select E'a' -- c\n'\' ; delete from accounts; --'
select 'a' -- c\n' ; delete from accounts; --'
# Settings outside the reviewed list, and set_config in forms the proxy cannot read.
set work_mem = '1GB'
set local work_mem = '8MB'
set maintenance_work_mem = '2GB'
set zero_damaged_pages = on
set ignore_checksum_failure = on
set log_statement = 'none'
set log_min_duration_statement = -1
set track_activities = off
set row_security = off
set jit = on
set myapp.flag = on
select set_config('work_mem', '1GB', false)
select set_config('search_path'::text, 'public', false)
select set_config('role' || '', 'postgres', false)
select set_config(current_setting('application_name'), 'off', false)
select set_config('search_path', 'public')
select set_config('search_path', current_user, false)
set statement_timeout = '0.1ms'
set statement_timeout = '500us'
set lock_timeout = '010'
set statement_timeout = '0x10'
set statement_timeout = -1
set statement_timeout = 5, 6
select set_config('statement_timeout', '500us', false)
update pg_settings set setting = 'SJIS' where name = 'client_encoding'
update pg_catalog.pg_settings set setting = 'off' where name = 'standard_conforming_strings'
with x as (update pg_settings set setting = 'off' where name = 'default_transaction_read_only' returning 1) select * from x
# Read-write again, every way.
set session characteristics as transaction read write
set session characteristics as transaction read only, read write
begin read only, read write
start transaction isolation level serializable, read write
set default_transaction_read_only to default
set session default_transaction_read_only = false
select set_config('default_transaction_read_only', 'false', false)
select set_config('DEFAULT_TRANSACTION_READ_ONLY', 'off', false)
select set_config('default_transaction_read_only', null, false)
# Timeouts above the session's (30s, 60s, 1s by default) would let reading hold production's resources.
set statement_timeout = 0
set statement_timeout = '31s'
set lock_timeout = '2s'
set idle_in_transaction_session_timeout = 0
select set_config('statement_timeout', '0', false)
# Functions are default-deny: a STABLE or IMMUTABLE marker is the author's claim.
select sneaky(1)
select public.sneaky(0)
select * from accounts where id = sneaky(0)
select probe_write() from accounts where false union all select sneaky(2)
# A user function with the name of an allowed built-in, reached through search_path.
select initcap(1)
set search_path = shady, pg_catalog; select initcap(1)
select shady.initcap(1)
# Functions that run SQL given as text, whatever schema they are in.
select table_to_xml('accounts', true, true, '')
select table_to_xmlschema('accounts', true, true, '')
select schema_to_xml('public', true, true, '')
select database_to_xml(true, true, '')
select cursor_to_xml('c', 1, true, true, '')
select * from crosstab('select 1, 1, nextval(''invoice_no'')::text') as t(a int, b text)
select * from public.crosstab('select 1, 1, 1') as t(a int, b int)
select * from connectby('accounts', 'id', 'id', '1', 0) as t(a int, b int, c int)
select dblink_connect('dbname=postgres')
select public.dblink_exec('dbname=postgres', 'delete from accounts')
select ts_rewrite('a & b'::tsquery, 'select ''a''::tsquery, ''c''::tsquery')
# Replication slots: consuming, advancing and peeking (which holds the slot).
select pg_logical_slot_get_changes('devenv_probe_slot', null, null)
select pg_logical_slot_get_binary_changes('devenv_probe_slot', null, null)
select pg_logical_slot_peek_changes('devenv_probe_slot', null, null)
select * from pg_logical_slot_peek_binary_changes('devenv_probe_slot', null, null)
select pg_replication_slot_advance('devenv_probe_slot', pg_current_wal_lsn())
select pg_catalog.pg_replication_slot_advance('devenv_probe_slot', '0/0')
# Index maintenance, object ids.
select brin_summarize_new_values('accounts_pkey')
select brin_summarize_range('accounts_pkey', 0)
select brin_desummarize_range('accounts_pkey', 0)
select gin_clean_pending_list('accounts_pkey')
select pg_nextoid('pg_class', 'oid', 'pg_class_oid_index')
# Server files and build configuration.
select pg_config()
select * from pg_config
select * from pg_catalog.pg_config
select * from pg_hba_file_rules
select * from pg_catalog.pg_ident_file_mappings
select * from pg_file_settings
select pg_show_all_file_settings()
select pg_current_logfile()
select pg_control_system()
# Large objects: only lo_get reads.
select lo_open(424242, 262144)
select lo_creat(-1)
select lo_truncate64(0, 0)
# Locks, notifications, signals, transaction ids, sequences, in every position.
select pg_catalog.pg_advisory_lock(1)
select * from pg_advisory_lock(1) a
select 1 from accounts where pg_try_advisory_lock(id)
select pg_catalog.pg_notify('devenv_chan', 'x')
select count(pg_notify('devenv_chan', name)) from accounts
select pg_catalog.pg_terminate_backend(pg_backend_pid())
select pg_catalog.txid_current()
select pg_catalog.nextval('invoice_no')
select (select max(nextval('invoice_no')) from accounts)
select pg_export_snapshot()
# Not reviewed: refused as unknown (reads of statistics functions, internal names).
select pg_stat_get_numscans('accounts'::regclass)
select pg_catalog.int4pl(1, 2)
select "LOWER"('x')
select * from accounts tablesample bernoulli_writer(10)
select * from accounts tablesample pg_catalog.system(10)
# Functions run without being named (trace.go): operators, casts, domains, views, policies, attribute notation.
select 1 ==> 2
select count(*) from accounts where id ==> 1
select 1 operator(public.==>) 2
explain select 1 ==> 2
select 1::holder
select holder(1)
select 5::checked_int
select * from sneaky_view
select * from over_sneaky
select count(*) from op_view
select * from guarded
select a.acct_writer from accounts a
select (a).acct_writer from accounts a
copy (select * from sneaky_view) to stdout
copy checked_vals to stdout
declare c cursor for select 1 ==> 2
prepare pv as select * from sneaky_view
explain analyze select * from over_sneaky
