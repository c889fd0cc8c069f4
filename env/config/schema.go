package config

import _ "embed"

//go:embed envs.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of envs.yaml, for editors
// and `devenv config --schema`. The caller must not modify it.
func Schema() []byte {
	return schema
}
