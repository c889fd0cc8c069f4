package images

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/registry"
)

// AuthConfig is what a registry needs to authenticate a pull. It holds
// secrets: never format one into an error, event or log.
type AuthConfig struct {
	Username      string
	Password      string
	IdentityToken string // OAuth refresh token, used instead of a password
	RegistryToken string // bearer token sent as is
	ServerAddress string
}

// Credentials finds the credentials for a registry host ("docker.io",
// "127.0.0.1:5000"). No credentials is not an error: it returns an empty
// AuthConfig and the pull goes anonymous.
type Credentials interface {
	Lookup(host string) (AuthConfig, error)
}

// HubHost is the host RegistryHost returns for Docker Hub references.
const HubHost = "docker.io"

// hubServer is the key under which the docker CLI stores Docker Hub
// credentials, and the server URL it hands to credential helpers.
const hubServer = "https://index.docker.io/v1/"

// RegistryHost returns the registry host of an image reference, HubHost for
// references without one ("redis:7", "team/app").
func RegistryHost(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		return HubHost
	}
	switch strings.ToLower(first) {
	case "index.docker.io", "registry-1.docker.io", HubHost:
		return HubHost
	}
	return first
}

// EncodeAuth encodes a for the engine's X-Registry-Auth header (base64url
// JSON); an empty AuthConfig encodes to "" (anonymous).
func EncodeAuth(a AuthConfig) string {
	if a == (AuthConfig{}) {
		return ""
	}
	b, err := json.Marshal(registry.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
		ServerAddress: a.ServerAddress,
	})
	if err != nil { // cannot happen: only strings
		return ""
	}
	return base64.URLEncoding.EncodeToString(b)
}

// DockerConfig returns the credentials the docker CLI would use: those in
// $DOCKER_CONFIG/config.json (default ~/.docker/config.json), from its auths,
// its per-registry credHelpers or its default credsStore. The file is read
// on every Lookup, so a `docker login` in between is seen.
func DockerConfig() Credentials { return dockerConfig{} }

type dockerConfig struct{}

// configFile is the part of config.json about credentials.
type configFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
	CredsStore  string               `json:"credsStore"`
}

type authEntry struct {
	Auth          string `json:"auth"` // base64 "user:password"
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

func configPath() (string, error) {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

func (dockerConfig) Lookup(host string) (AuthConfig, error) {
	path, err := configPath()
	if err != nil {
		return AuthConfig{}, nil // no home, no config: anonymous
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return AuthConfig{}, nil
	}
	if err != nil {
		return AuthConfig{}, fmt.Errorf("reading docker credentials: %w", err)
	}
	var cf configFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return AuthConfig{}, fmt.Errorf("reading docker credentials: %s: %w", path, err)
	}
	return cf.lookup(host)
}

// serverKeys are the keys under which the docker CLI may have stored host's
// credentials, the canonical one first.
func serverKeys(host string) []string {
	if RegistryHost(host+"/x") == HubHost {
		return []string{hubServer, "index.docker.io", "docker.io", "registry-1.docker.io"}
	}
	return []string{host}
}

func (cf configFile) lookup(host string) (AuthConfig, error) {
	keys := serverKeys(host)
	for _, k := range keys {
		if helper := cf.CredHelpers[k]; helper != "" {
			return helperGet(helper, keys[0])
		}
	}
	if cf.CredsStore != "" {
		return helperGet(cf.CredsStore, keys[0])
	}
	return cf.fromAuths(keys)
}

// fromAuths finds an auths entry by exact key, then, like the CLI, by any key
// whose hostname (scheme and path stripped) matches.
func (cf configFile) fromAuths(keys []string) (AuthConfig, error) {
	for _, k := range keys {
		if e, ok := cf.Auths[k]; ok {
			return e.decode(keys[0])
		}
	}
	for stored, e := range cf.Auths {
		for _, k := range keys {
			if hostOf(stored) == hostOf(k) {
				return e.decode(keys[0])
			}
		}
	}
	return AuthConfig{}, nil
}

func hostOf(server string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return strings.ToLower(s)
}

func (e authEntry) decode(server string) (AuthConfig, error) {
	a := AuthConfig{
		Username:      e.Username,
		Password:      e.Password,
		IdentityToken: e.IdentityToken,
		RegistryToken: e.RegistryToken,
		ServerAddress: server,
	}
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return AuthConfig{}, fmt.Errorf("docker credentials for %s: the auth field is not base64", server)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return AuthConfig{}, fmt.Errorf("docker credentials for %s: the auth field is not user:password", server)
		}
		a.Username, a.Password = user, pass
	}
	return a, nil
}

// helperTimeout bounds a credential helper that waits for a keychain prompt.
const helperTimeout = 30 * time.Second

// helperGet asks docker-credential-<helper> for server's credentials.
func helperGet(helper, server string) (AuthConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	prog := "docker-credential-" + helper
	cmd := exec.CommandContext(ctx, prog, "get")
	cmd.Stdin = strings.NewReader(server)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stdout.String() + " " + stderr.String())
		if strings.Contains(strings.ToLower(msg), "credentials not found") {
			return AuthConfig{}, nil
		}
		return AuthConfig{}, fmt.Errorf("asking %s for the credentials of %s: %w: %s", prog, server, err, firstLine(msg))
	}
	var out struct {
		ServerURL string
		Username  string
		Secret    string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return AuthConfig{}, fmt.Errorf("asking %s for the credentials of %s: unreadable answer", prog, server)
	}
	a := AuthConfig{ServerAddress: server}
	if out.Username == "<token>" {
		a.IdentityToken = out.Secret
	} else {
		a.Username, a.Password = out.Username, out.Secret
	}
	return a, nil
}

// firstLine keeps a helper's complaint short; a helper has no reason to
// print a secret when it fails, and only this much of it is shown.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
