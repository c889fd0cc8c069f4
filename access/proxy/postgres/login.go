package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The login is checked, not trusted. The proxy is one layer of read-only;
// the upstream login is the next, and it holds only if the login cannot
// write. InspectLogin asks the server what the login may do, through every
// role it can become (a member role it does not inherit from is one SET ROLE
// away), and names each thing a read-only login could not do.

// ErrLoginCanWrite says the upstream login can write and the target does not
// accept that.
var ErrLoginCanWrite = errors.New("the gateway's upstream login can write")

// LoginReport is what the upstream login may do beyond reading.
type LoginReport struct {
	User     string
	Database string
	// Writes names each thing the login may do that a read-only login may
	// not, e.g. "superuser" or "INSERT, UPDATE on public.orders"; empty for a
	// read-only login.
	Writes []string
	// Notes name writes no privilege of the login's guards, which only the
	// proxy stops: they do not make the login refused.
	Notes []string
}

// loCreators are the functions that create a large object. PostgreSQL runs
// them for any role that may execute them (PUBLIC, by default), even in a
// read-only transaction (checked on 15.18).
const loCreators = `'pg_catalog.lo_create(oid)', 'pg_catalog.lo_creat(integer)', 'pg_catalog.lo_from_bytea(oid, bytea)',
  'pg_catalog.lo_import(text)', 'pg_catalog.lo_import(text, oid)'`

// ReadOnly reports that the login can do nothing but read.
func (r LoginReport) ReadOnly() bool { return len(r.Writes) == 0 }

// LoginError is ErrLoginCanWrite with the report and how to fix it.
type LoginError struct{ Report LoginReport }

func (e *LoginError) Unwrap() error { return ErrLoginCanWrite }

func (e *LoginError) Error() string {
	writes := e.Report.Writes
	if len(writes) > 3 {
		writes = append(writes[:3:3], fmt.Sprintf("%d more", len(e.Report.Writes)-3))
	}
	return fmt.Sprintf("%s: %s on database %s: %s; give the gateway a read-only login (devenv gateway check lists "+
		"everything and prints the SQL for one), or set login_can_write: accept on the target to serve it anyway",
		ErrLoginCanWrite, e.Report.User, e.Report.Database, strings.Join(writes, "; "))
}

// mostPerKind caps how many objects of one kind a report names.
const mostPerKind = 5

// loginSQL lists what the login may do beyond reading, as rows of (kind,
// role, object, privileges), after one row that names the login and the
// database. "me" is every role the login is a member of,
// itself included; the privilege functions count grants to PUBLIC and
// ownership too.
const loginSQL = `with me as (
  select r.oid, r.rolname from pg_catalog.pg_roles r
  where pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
), objs as (
  select c.oid, c.relkind, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as name
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'
)
select 'who', current_user, pg_catalog.current_database(), ''
union all
select 'lo', current_user, f, '' from pg_catalog.unnest(array[` + loCreators + `]) f
  where pg_catalog.has_function_privilege(current_user, f, 'EXECUTE')
union all
select 'attribute', m.rolname, a.name, '' from me m join pg_catalog.pg_roles r on r.oid = m.oid
  cross join lateral (values ('superuser', r.rolsuper), ('replication', r.rolreplication),
    ('bypassrls', r.rolbypassrls), ('createrole', r.rolcreaterole), ('createdb', r.rolcreatedb)) a(name, has)
  where a.has
union all
select 'member', m.rolname, m.rolname, '' from me m
  where m.rolname in ('pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend',
    'pg_write_all_data', 'pg_read_server_files', 'pg_checkpoint', 'pg_create_subscription')
union all
select 'table', m.rolname, o.name, pg_catalog.string_agg(p.priv, ', ' order by p.ord)
  from objs o cross join me m
  cross join (values (1, 'INSERT'), (2, 'UPDATE'), (3, 'DELETE'), (4, 'TRUNCATE'), (5, 'TRIGGER')) p(ord, priv)
  where o.relkind in ('r', 'p', 'v', 'f')
    and case when p.priv in ('INSERT', 'UPDATE') then pg_catalog.has_any_column_privilege(m.oid, o.oid, p.priv)
             else pg_catalog.has_table_privilege(m.oid, o.oid, p.priv) end
  group by m.rolname, o.name
union all
select 'sequence', m.rolname, o.name, '' from objs o cross join me m
  where o.relkind = 'S' and pg_catalog.has_sequence_privilege(m.oid, o.oid, 'USAGE, UPDATE')
union all
select 'owns', m.rolname, o.name, '' from objs o join pg_catalog.pg_class c on c.oid = o.oid join me m on m.oid = c.relowner
  where o.relkind in ('i', 'I', 'm', 'c')
union all
select 'function', m.rolname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname), ''
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace join me m on m.oid = p.proowner
  where n.nspname not in ('pg_catalog', 'information_schema')
union all
select 'schema', m.rolname, pg_catalog.quote_ident(n.nspname), '' from pg_catalog.pg_namespace n cross join me m
  where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'
    and pg_catalog.has_schema_privilege(m.oid, n.oid, 'CREATE')
union all
select 'database', m.rolname, pg_catalog.quote_ident(d.datname), case when d.datdba = m.oid then 'owner' else '' end
  from pg_catalog.pg_database d cross join me m
  where d.datname = pg_catalog.current_database()
    and (d.datdba = m.oid or pg_catalog.has_database_privilege(m.oid, d.oid, 'CREATE'))`

// InspectLogin asks the server, over conn, what its login may do beyond
// reading. conn must be idle (not in a transaction that failed).
func InspectLogin(ctx context.Context, conn *pgconn.PgConn) (LoginReport, error) {
	var r LoginReport
	res := conn.ExecParams(ctx, loginSQL, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return r, fmt.Errorf("inspecting the upstream login: %w", res.Err)
	}
	rows := make([]loginRow, 0, len(res.Rows))
	for _, row := range res.Rows {
		lr := loginRow{kind: string(row[0]), role: string(row[1]), object: string(row[2]), privs: string(row[3])}
		switch lr.kind {
		case "who":
			r.User, r.Database = lr.role, lr.object
			continue
		case "lo":
			if len(r.Notes) == 0 {
				r.Notes = append(r.Notes, "may create large objects (lo_create and its kin are executable by PUBLIC by default, "+
					"and PostgreSQL runs them even in a read-only transaction): only the proxy stops that; "+
					"ReadOnlyRoleSQL says how to revoke it")
			}
			continue
		}
		rows = append(rows, lr)
	}
	r.Writes = describeLogin(r.User, rows)
	return r, nil
}

// loginRow is one row of loginSQL.
type loginRow struct{ kind, role, object, privs string }

// attributeRank orders role attributes by what they allow.
var attributeRank = map[string]int{"superuser": 0, "replication": 1, "bypassrls": 2, "createrole": 3, "createdb": 4}

// describeLogin turns loginSQL's rows into sentences, in a stable order,
// naming at most mostPerKind objects of each kind. A superuser can do
// anything, so that is all it says of one.
func describeLogin(user string, rows []loginRow) []string {
	sort.SliceStable(rows, func(i, j int) bool {
		return rows[i].kind == "attribute" && rows[j].kind == "attribute" && attributeRank[rows[i].object] < attributeRank[rows[j].object]
	})
	for _, r := range rows {
		if r.kind == "attribute" && r.object == "superuser" {
			rows = []loginRow{r}
			break
		}
	}
	// What the login may do itself needs no other role to explain it (a
	// grant to PUBLIC reaches every role it is a member of).
	own := map[loginRow]bool{}
	for _, r := range rows {
		if r.role == user {
			own[r] = true
		}
	}
	byKind := map[string][]string{}
	for _, r := range rows {
		if mine := (loginRow{kind: r.kind, role: user, object: r.object, privs: r.privs}); r.role != user && own[mine] {
			continue
		}
		via := ""
		if r.role != user {
			via = " (through role " + r.role + ")"
		}
		var s string
		switch r.kind {
		case "attribute":
			s = strings.ToUpper(r.object) + via
		case "member":
			s = "member of " + r.object
		case "table":
			s = r.privs + " on " + r.object + via
		case "sequence":
			s = "nextval/setval on sequence " + r.object + via
		case "owns":
			s = "owns " + r.object + via
		case "function":
			s = "owns function " + r.object + " (can replace its body)" + via
		case "schema":
			s = "CREATE on schema " + r.object + via
		case "database":
			if r.privs == "owner" {
				s = "owns database " + r.object + via
			} else {
				s = "CREATE on database " + r.object + via
			}
		default:
			s = r.kind + " " + r.object + via
		}
		byKind[r.kind] = append(byKind[r.kind], s)
	}
	var out []string
	for _, kind := range []string{"attribute", "member", "database", "schema", "table", "sequence", "function", "owns"} {
		list := byKind[kind]
		if kind != "attribute" {
			sort.Strings(list)
		}
		list = dedupe(list)
		if len(list) > mostPerKind {
			list = append(list[:mostPerKind:mostPerKind], fmt.Sprintf("and %d more of the kind", len(list)-mostPerKind))
		}
		out = append(out, list...)
	}
	return out
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// ReadOnlyRoleSQL is the SQL that makes a login fit for the gateway: it can
// connect and read every table, view and sequence of database, and nothing
// else. Run it as a superuser (or the database owner) on the server.
func ReadOnlyRoleSQL(role, database string) string {
	r, d := quoteIdent(role), quoteIdent(database)
	return fmt.Sprintf(`-- as a superuser on the production server:
CREATE ROLE %[1]s LOGIN PASSWORD 'choose-a-secret'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
-- PostgreSQL 14 and later: SELECT on every table, view and sequence, USAGE on every schema.
GRANT pg_read_all_data TO %[1]s;
-- Before 14, instead, for each schema S: GRANT USAGE ON SCHEMA S TO %[1]s;
--   GRANT SELECT ON ALL TABLES IN SCHEMA S TO %[1]s;
--   ALTER DEFAULT PRIVILEGES IN SCHEMA S GRANT SELECT ON TABLES TO %[1]s;
ALTER ROLE %[1]s SET default_transaction_read_only = on;
-- Where a report names CREATE on schema public (the default before PostgreSQL 15):
--   REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Any role may create large objects, even in a read-only transaction, unless this is
-- revoked from PUBLIC (grant it back to the application roles that create them):
--   REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea),
--     lo_import(text), lo_import(text, oid) FROM PUBLIC;
`, r, d)
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
