create table accounts (id serial primary key, name text not null, balance numeric(12,2) not null);
insert into accounts (name, balance) select 'user' || g, g * 10.5 from generate_series(1, 50) g;
create table events (id bigserial primary key, account_id int references accounts(id), kind text, at timestamptz);
insert into events (account_id, kind, at) select 1 + g % 50, case when g % 3 = 0 then 'login' else 'view' end,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' from generate_series(1, 200) g;
create sequence invoice_no start 1000;
select nextval('invoice_no');
create view rich as select * from accounts where balance > 300;
create table audit_log (msg text);
create function bump() returns int language sql volatile as $$ insert into audit_log values ('bumped') returning 1 $$;
create function touch(int) returns void language sql as $$ update accounts set balance = balance + 1 where id = $1 $$;
create function label(text) returns text language sql stable as $$ select upper($1) $$;
create procedure wipe() language sql as $$ delete from audit_log $$;
select lo_from_bytea(424242, 'large object contents');
create type mood as enum ('sad', 'ok', 'happy');
create table moods (id int, m mood);
insert into moods values (1, 'sad'), (2, 'happy');
