package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// TestSchemaKeys checks that every object in the schema lists exactly the
// keys the parser accepts at that level, forbids others, and describes each.
func TestSchemaKeys(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	tests := []struct {
		name string
		path []string // JSON pointer segments, following $ref
		keys []string
	}{
		{name: "top level", path: nil, keys: projectKeys},
		{name: "service", path: []string{"properties", "services", "additionalProperties"}, keys: serviceKeys},
		{name: "healthcheck", path: []string{"properties", "services", "additionalProperties", "properties", "healthcheck"}, keys: healthcheckKeys},
		{name: "depends_on entry", path: []string{"properties", "services", "additionalProperties", "properties", "depends_on", "oneOf", "1", "additionalProperties"}, keys: dependencyKeys},
		{name: "network", path: []string{"properties", "services", "additionalProperties", "properties", "networks", "oneOf", "1", "additionalProperties", "oneOf", "1"}, keys: networkKeys},
		{name: "volume definition", path: []string{"$defs", "volumeDef"}, keys: volumeDefKeys},
		{name: "network definition", path: []string{"$defs", "networkDef"}, keys: networkDefKeys},
		{name: "ipam", path: []string{"$defs", "networkDef", "properties", "ipam"}, keys: ipamKeys},
		{name: "ipam pool", path: []string{"$defs", "networkDef", "properties", "ipam", "properties", "config", "items"}, keys: ipamPoolKeys},
		{name: "secret or config", path: []string{"$defs", "fileDef"}, keys: fileDefKeys},
		{name: "secret or config use", path: []string{"$defs", "fileRefs", "items", "oneOf", "1"}, keys: fileRefKeys},
		{name: "long volume", path: []string{"$defs", "mount"}, keys: mountKeys},
		{name: "long volume bind", path: []string{"$defs", "mount", "properties", "bind"}, keys: bindOptKeys},
		{name: "long volume volume", path: []string{"$defs", "mount", "properties", "volume"}, keys: volumeOptKeys},
		{name: "long volume tmpfs", path: []string{"$defs", "mount", "properties", "tmpfs"}, keys: tmpfsOptKeys},
		{name: "build", path: []string{"properties", "services", "additionalProperties", "properties", "build", "oneOf", "1"}, keys: buildKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := schemaAt(t, root, tt.path)
			props, _ := obj["properties"].(map[string]any)
			got := make([]string, 0, len(props))
			for k, v := range props {
				got = append(got, k)
				if d, _ := v.(map[string]any)["description"].(string); d == "" {
					if ref := deref(t, root, v.(map[string]any)); ref["description"] == nil {
						t.Errorf("property %q has no description", k)
					}
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tt.keys...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("schema keys differ from the parser's (-parser +schema):\n%s", diff)
			}
			if obj["additionalProperties"] != false {
				t.Errorf("additionalProperties is %v, want false", obj["additionalProperties"])
			}
		})
	}
}

// schemaAt walks path from root, following $ref at every step.
func schemaAt(t *testing.T, root map[string]any, path []string) map[string]any {
	t.Helper()
	var cur any = root
	for _, seg := range path {
		if m, ok := cur.(map[string]any); ok {
			cur = deref(t, root, m)
		}
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i := int(seg[0] - '0')
			cur = c[i]
		}
		if m, ok := cur.(map[string]any); ok {
			cur = deref(t, root, m)
		}
		if cur == nil {
			t.Fatalf("schema has nothing at %v", path)
		}
	}
	return cur.(map[string]any)
}

// deref follows a local "$ref": "#/$defs/x".
func deref(t *testing.T, root, m map[string]any) map[string]any {
	t.Helper()
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	def, _ := root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if def == nil {
		t.Fatalf("dangling $ref %s", ref)
	}
	return deref(t, root, def)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("envs.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("envs.schema.json")
	if err != nil {
		t.Fatalf("compiling schema: %v", err)
	}
	return sch
}

func validateYAML(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return sch.Validate(doc)
}

// TestSchemaAcceptsValid: every valid file, and Format's rendering of it,
// satisfies the schema.
func TestSchemaAcceptsValid(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range yamlFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateYAML(t, sch, data); err != nil {
				t.Errorf("schema rejects %s: %v", file, err)
			}
			p, err := parseFile(t, file)
			if err != nil {
				t.Fatalf("parser rejects %s: %v", file, err)
			}
			out, err := p.Format()
			if err != nil {
				t.Fatal(err)
			}
			if err := validateYAML(t, sch, out); err != nil {
				t.Errorf("schema rejects Format output: %v\n%s", err, out)
			}
		})
	}
}

// TestSchemaRejectsInvalid: invalid files whose problem a schema can see
// are rejected by both the schema and the parser.
func TestSchemaRejectsInvalid(t *testing.T) {
	sch := compileSchema(t)
	for _, name := range []string{
		"bad_enums", "bad_volumes", "build", "empty_services", "environments", "healthcheck", "missing_image",
		"no_services", "project", "service_names", "unknown_keys", "version", "wrong_types", "container_settings",
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "invalid", name+".yaml")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateYAML(t, sch, data); err == nil {
				t.Errorf("schema accepts %s", file)
			}
			if _, err := parseFile(t, file); err == nil {
				t.Errorf("parser accepts %s", file)
			}
		})
	}
}
