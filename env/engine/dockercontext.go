package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docker/docker/client"
)

// contextEndpoint is the docker endpoint of a docker CLI context.
type contextEndpoint struct {
	Host   string // empty: the client's default
	TLSDir string // directory holding ca.pem, cert.pem, key.pem; empty: no TLS
}

// opts are the client options that select the endpoint.
func (ep contextEndpoint) opts() []client.Opt {
	var opts []client.Opt
	if ep.Host != "" {
		opts = append(opts, client.WithHost(ep.Host))
	}
	if ep.TLSDir != "" {
		opts = append(opts, client.WithTLSClientConfig(
			filepath.Join(ep.TLSDir, "ca.pem"),
			filepath.Join(ep.TLSDir, "cert.pem"),
			filepath.Join(ep.TLSDir, "key.pem")))
	}
	return opts
}

// dockerConfigDir is where the docker CLI keeps its configuration.
func dockerConfigDir() (string, error) {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".docker"), nil
}

// currentContextEndpoint reads the docker CLI's current context the way the
// CLI does: DOCKER_CONTEXT, else currentContext in config.json. The "default"
// context, or none at all, is the zero endpoint.
func currentContextEndpoint() (contextEndpoint, error) {
	dir, err := dockerConfigDir()
	if err != nil {
		return contextEndpoint{}, nil // no home: nothing to read
	}
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		name, err = configCurrentContext(filepath.Join(dir, "config.json"))
		if err != nil {
			return contextEndpoint{}, err
		}
	}
	if name == "" || name == "default" {
		return contextEndpoint{}, nil
	}
	return readContextEndpoint(dir, name)
}

// configCurrentContext reads currentContext from the CLI's config.json.
func configCurrentContext(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return cfg.CurrentContext, nil
}

// readContextEndpoint reads the docker endpoint of the named context from
// contexts/meta/<sha256 of name>/meta.json under the config directory.
func readContextEndpoint(dir, name string) (contextEndpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	path := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return contextEndpoint{}, fmt.Errorf("context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return contextEndpoint{}, fmt.Errorf("context %q: %s: %w", name, path, err)
	}
	ep := contextEndpoint{Host: meta.Endpoints["docker"].Host}
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tlsDir, "ca.pem")); err == nil {
		ep.TLSDir = tlsDir
	}
	return ep, nil
}
