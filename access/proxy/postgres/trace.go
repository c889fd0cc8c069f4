//go:build cgo

package postgres

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Things that run functions without naming them: operators, casts, types
// (input and output functions, domain checks, range functions, default
// operator classes), views (their rules), row-level security policies and
// foreign tables, partitioned tables (their key's operator classes prune
// partitions and order their bounds) and the parents and children of
// tainted tables. The proxy does not resolve which operator, cast or type
// a statement ends up using — that needs the server's analysis — but
// learns at session start, from the catalog, every such object outside
// pg_catalog and what it runs, and marks it tainted when it runs, directly
// or through another object, a function that is not allowed. A statement
// that names a tainted object is refused: an operator by its name
// wherever it appears (including the = of IN, NULLIF, IS DISTINCT FROM,
// simple CASE and JOIN USING), a type by its name in any type name or
// function-notation cast, a cast by the name of its target type, a view
// or table by its name in FROM or COPY. Names, not schemas, are judged, so
// a tainted object refuses every object of its name. A tainted built-in
// type (a user cast applied implicitly from it, or a default operator
// class outside pg_catalog for it) could be used by any expression, so
// then every read is refused.
//
// Not traced: code reached through C handler structs — index and table
// access methods, text search parsers and templates, procedural language
// handlers, planner and executor hooks — which only a superuser can
// install, as C; and the bodies of functions the configuration allows.
// Layer 4 of the package doc, the server's read-only mode, remains for
// them.

// traceSQL lists, for every object that can run a function without being
// named as one — outside pg_catalog and information_schema, or made in
// pg_catalog after initdb (an OID from 16384 on: an extension installed
// there) — what it runs or depends on: one row per edge, as (object,
// name, built-in, kind, reference). Objects are "o<oid>" operators, "t<oid>"
// types, "r<oid>" relations, "c<oid>" casts (named by their target type)
// and "p<oid>" operator families. Kind 'f' references a function
// (schema.name) judged by the allowlist; 'F' a function in a role only
// C functions of the right signature can fill (input and output, planner
// estimators, range and operator-class support), trusted in pg_catalog;
// 'x' another object. Casts made by initdb have OIDs below 16384. A cast
// taints its source type, not only its target's name, when the server
// applies it unasked: an implicit or assignment cast, or a cast to json
// or jsonb, which to_json, json_agg and the like call for values of the
// source type.
const traceSQL = `with u as (select oid from pg_namespace where nspname not in ('pg_catalog', 'information_schema')),
fn as not materialized (select f.oid, n.nspname || '.' || f.proname as name from pg_proc f join pg_namespace n on n.oid = f.pronamespace)
select 'o' || o.oid, o.oprname, false, 'f', fn.name from pg_operator o join fn on fn.oid = o.oprcode
where (o.oprnamespace in (select oid from u) or o.oid >= 16384)
union all
select 'o' || o.oid, o.oprname, false, 'F', fn.name from pg_operator o
cross join lateral unnest(array[o.oprrest::oid, o.oprjoin::oid]) as e(f) join fn on fn.oid = e.f
where (o.oprnamespace in (select oid from u) or o.oid >= 16384)
union all
select 't' || t.oid, t.typname, false, 'F', fn.name from pg_type t
cross join lateral unnest(array[t.typinput::oid, t.typoutput::oid, t.typreceive::oid, t.typsend::oid, t.typmodin::oid,
t.typmodout::oid, t.typanalyze::oid, t.typsubscript::oid]) as e(f) join fn on fn.oid = e.f
where (t.typnamespace in (select oid from u) or t.oid >= 16384)
union all
select 't' || t.oid, t.typname, false, 'F', fn.name from pg_range r join pg_type t on t.oid = r.rngtypid
cross join lateral unnest(array[r.rngcanonical::oid, r.rngsubdiff::oid]) as e(f) join fn on fn.oid = e.f where (t.typnamespace in (select oid from u) or t.oid >= 16384)
union all
select 't' || t.oid, t.typname, false, 'x', 't' || r.rngsubtype from pg_range r join pg_type t on t.oid = r.rngtypid
where (t.typnamespace in (select oid from u) or t.oid >= 16384)
union all
select 't' || t.oid, t.typname, false, 'x', 't' || d from pg_type t, unnest(array[t.typbasetype, t.typelem]) d
where d <> 0 and (t.typnamespace in (select oid from u) or t.oid >= 16384)
union all
select 't' || t.oid, t.typname, false, 'x', 'r' || t.typrelid from pg_type t
where t.typrelid <> 0 and (t.typnamespace in (select oid from u) or t.oid >= 16384)
union all
select e.obj, e.name, false, case d.refclassid when 'pg_proc'::regclass then 'f' else 'x' end,
case d.refclassid when 'pg_proc'::regclass then (select fn.name from fn where fn.oid = d.refobjid)
when 'pg_operator'::regclass then 'o' || d.refobjid when 'pg_class'::regclass then 'r' || d.refobjid
else 't' || d.refobjid end
from (select 'pg_constraint'::regclass as classid, c.oid as objid, 't' || t.oid as obj, t.typname as name, 0::oid as self
  from pg_constraint c join pg_type t on t.oid = c.contypid where (t.typnamespace in (select oid from u) or t.oid >= 16384)
  union all
  select 'pg_rewrite'::regclass, w.oid, 'r' || c.oid, c.relname, c.oid
  from pg_rewrite w join pg_class c on c.oid = w.ev_class where (c.relnamespace in (select oid from u) or c.oid >= 16384)
  union all
  select 'pg_policy'::regclass, p.oid, 'r' || c.oid, c.relname, c.oid
  from pg_policy p join pg_class c on c.oid = p.polrelid where (c.relnamespace in (select oid from u) or c.oid >= 16384)) e
join pg_depend d on d.classid = e.classid and d.objid = e.objid
where d.refclassid in ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass, 'pg_type'::regclass)
and not (d.refclassid = 'pg_class'::regclass and d.refobjid = e.self)
union all
select 'r' || c.oid, c.relname, false, 'x', 't' || a.atttypid from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind in ('r', 'v', 'm', 'f', 'p', 'c') and (c.relnamespace in (select oid from u) or c.oid >= 16384)
union all
select 'r' || c.oid, c.relname, false, 'f', fn.name from pg_foreign_table ft join pg_class c on c.oid = ft.ftrelid
join pg_foreign_server s on s.oid = ft.ftserver join pg_foreign_data_wrapper w on w.oid = s.srvfdw join fn on fn.oid = w.fdwhandler
union all
select 'c' || c.oid, t.typname, false, 'f', fn.name from pg_cast c join pg_type t on t.oid = c.casttarget
join fn on fn.oid = c.castfunc where c.oid >= 16384
union all
select 't' || s.oid, s.typname, s.typnamespace = 'pg_catalog'::regnamespace, 'x', 'c' || c.oid
from pg_cast c join pg_type s on s.oid = c.castsource where c.oid >= 16384 and c.castfunc <> 0
and (c.castcontext in ('i', 'a') or c.casttarget in ('json'::regtype, 'jsonb'::regtype))
union all
select 'r' || c.oid, c.relname, false, 'x', 'r' || i.inhparent from pg_inherits i join pg_class c on c.oid = i.inhrelid
where (c.relnamespace in (select oid from u) or c.oid >= 16384)
union all
select 'r' || c.oid, c.relname, false, 'x', 'r' || i.inhrelid from pg_inherits i join pg_class c on c.oid = i.inhparent
where (c.relnamespace in (select oid from u) or c.oid >= 16384)
union all
select 'r' || c.oid, c.relname, false, 'x', 'p' || oc.opcfamily from pg_partitioned_table pt
join pg_class c on c.oid = pt.partrelid cross join lateral unnest(pt.partclass::oid[]) as k(opc)
join pg_opclass oc on oc.oid = k.opc where (c.relnamespace in (select oid from u) or c.oid >= 16384)
union all
select 'p' || p.oid, p.opfname, false, 'F', fn.name from pg_opfamily p join pg_amproc a on a.amprocfamily = p.oid
join fn on fn.oid = a.amproc where (p.opfnamespace in (select oid from u) or p.oid >= 16384)
union all
select 'p' || p.oid, p.opfname, false, 'x', 'o' || a.amopopr from pg_opfamily p join pg_amop a on a.amopfamily = p.oid
where (p.opfnamespace in (select oid from u) or p.oid >= 16384)
union all
select 'o' || o.oid, o.oprname, o.oprnamespace = 'pg_catalog'::regnamespace, 'x', 'p' || p.oid
from pg_opfamily p join pg_amop a on a.amopfamily = p.oid join pg_operator o on o.oid = a.amopopr
where (p.opfnamespace in (select oid from u) or p.oid >= 16384)
union all
select 't' || t.oid, t.typname, t.typnamespace = 'pg_catalog'::regnamespace, 'x', 'p' || c.opcfamily
from pg_opclass c join pg_type t on t.oid = c.opcintype where c.opcdefault and (c.opcnamespace in (select oid from u) or c.oid >= 16384)`

// traced are the tainted objects' names, each with why it is tainted.
type traced struct {
	ops, types, rels, casts map[string]string
	// typeOIDs are the tainted types by OID, for parameter types a Parse
	// message gives.
	typeOIDs map[uint32]string
	// builtin, if not "", is why every read is refused: a built-in type
	// is tainted.
	builtin string
}

func newTraced() traced {
	return traced{ops: map[string]string{}, types: map[string]string{}, rels: map[string]string{}, casts: map[string]string{},
		typeOIDs: map[uint32]string{}}
}

func (t traced) equal(o traced) bool {
	return maps.Equal(t.ops, o.ops) && maps.Equal(t.types, o.types) && maps.Equal(t.rels, o.rels) &&
		maps.Equal(t.casts, o.casts) && maps.Equal(t.typeOIDs, o.typeOIDs) && t.builtin == o.builtin
}

// traceEdge is one row of traceSQL.
type traceEdge struct {
	obj, name string
	builtin   bool
	kind      byte
	ref       string
}

// trace marks the objects of edges tainted, with the policy's function
// rules, and records their names in p.traced.
func (p *Policy) trace(edges []traceEdge) {
	type object struct {
		name    string
		builtin bool
		why     string // why it is tainted, starting "it "
		root    string // what it or what it depends on runs
		refs    []string
	}
	// Sorted, so that the same facts give the same reasons whatever order
	// the server returned them in: the checker is kept only for equal facts.
	edges = slices.Clone(edges)
	slices.SortFunc(edges, func(a, b traceEdge) int {
		return cmp.Or(cmp.Compare(a.obj, b.obj), cmp.Compare(a.kind, b.kind), cmp.Compare(a.ref, b.ref))
	})
	objs := map[string]*object{}
	var ids []string
	for _, e := range edges {
		o := objs[e.obj]
		if o == nil {
			o = &object{name: e.name}
			objs[e.obj] = o
			ids = append(ids, e.obj)
		}
		o.builtin = o.builtin || e.builtin
		switch e.kind {
		case 'x':
			o.refs = append(o.refs, e.ref)
		case 'f', 'F':
			if o.why == "" && !p.funcAllowed(e.ref, e.kind == 'F') {
				o.root = "runs function " + e.ref + ", which is not allowed"
				o.why = "it " + o.root
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, id := range ids {
			o := objs[id]
			if o.why != "" {
				continue
			}
			for _, r := range o.refs {
				if ro := objs[r]; ro != nil && ro.why != "" {
					o.root = ro.root
					o.why = fmt.Sprintf("it depends on %s %s, which %s", kindName(r), ro.name, ro.root)
					changed = true
					break
				}
			}
		}
	}
	t := newTraced()
	for _, id := range ids {
		o := objs[id]
		if o.why == "" {
			continue
		}
		var m map[string]string
		switch id[0] {
		case 'o':
			m = t.ops
		case 't':
			m = t.types
			if oid, err := strconv.ParseUint(id[1:], 10, 32); err == nil {
				t.typeOIDs[uint32(oid)] = o.name + ": " + o.why
			}
			if o.builtin && t.builtin == "" {
				t.builtin = fmt.Sprintf("every read is refused while the built-in type %s is tainted upstream: %s", o.name, o.why)
			}
		case 'r':
			m = t.rels
		case 'c':
			m = t.casts
		default:
			continue
		}
		if _, ok := m[o.name]; !ok {
			m[o.name] = o.why
		}
	}
	p.traced = t
}

func kindName(id string) string {
	switch id[0] {
	case 'o':
		return "operator"
	case 't':
		return "type"
	case 'r':
		return "relation"
	case 'c':
		return "a cast to"
	case 'p':
		return "operator family"
	}
	return "object"
}

// funcAllowed reports whether the function schema.name may run: in
// pg_catalog, if it is on the allowlist (or trusted, for roles only
// built-in C functions of the right signature fill); elsewhere, if the
// configuration names it.
func (p *Policy) funcAllowed(qualified string, trusted bool) bool {
	for i := 0; i < len(qualified); i++ {
		if qualified[i] == '.' {
			schema, name := qualified[:i], qualified[i+1:]
			if refusedFuncs[name] != "" {
				return false
			}
			if schema == "pg_catalog" {
				return !p.catalogAdded[name] && (trusted || builtinAllowed[name] != "")
			}
			return p.allow[qualified]
		}
	}
	return false
}
