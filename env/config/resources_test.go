package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseWith(t *testing.T, yaml string, env map[string]string) (*Project, error) {
	t.Helper()
	return Parse("/proj/envs.yaml", []byte(yaml), LoadOptions{LookupEnv: lookupIn(env)})
}

func TestSecretFromEnvironment(t *testing.T) {
	const yaml = "services:\n  a:\n    image: x\n    secrets: [pw]\nsecrets:\n  pw: {environment: PW}\n"
	p, err := parseWith(t, yaml, map[string]string{"PW": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&FileObject{Environment: "PW", Content: "hunter2"}, p.Secrets["pw"]); diff != "" {
		t.Errorf("secret (-want +got):\n%s", diff)
	}
	_, err = parseWith(t, yaml, nil)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Line != 6 || list[0].Column != 21 || !strings.Contains(list[0].Msg, "PW is not set") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestResourceWarnings(t *testing.T) {
	p, err := parseWith(t, `
services:
  a:
    image: x
    secrets: [{source: cert, uid: "5", mode: 0400}]
    volumes: [{type: bind, source: ., target: /src, consistency: cached}]
    networks:
      n: {mac_address: "02:42:ac:11:00:02"}
secrets:
  cert: {file: ./cert.pem, name: prod-cert}
networks:
  n:
volumes:
  old:
    external: {name: legacy}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`/proj/envs.yaml:5:15: service "a" secrets cert: uid, gid and mode do not apply to a file source, which is bind-mounted as it is on the host`,
		`/proj/envs.yaml:6:66: service "a" volumes consistency applies to Docker Desktop's file sharing only and is ignored`,
		`/proj/envs.yaml:8:24: service "a" networks n mac_address is not applied by devenv; remove it or set it with docker network connect`,
		`/proj/envs.yaml:10:34: secret "cert" name applies to swarm objects only and is ignored on a local engine`,
		`/proj/envs.yaml:15:15: volume "old" external: {name: …} is deprecated; write external: true and name: …`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if r := p.Services["a"].Secrets[0]; r.UID != "" || r.Mode != 0o444 {
		t.Errorf("a file secret keeps the host's owner and mode: %+v", r)
	}
	if v := p.Volumes["old"]; !v.External || v.Name != "legacy" {
		t.Errorf("old-style external volume %+v", v)
	}
}

func TestTopLevelForms(t *testing.T) {
	p, err := parseWith(t, "name: pr\nservices:\n  a: {image: x, volumes: [\"a:/a\", \"b:/b\"]}\nvolumes: [a, b]\nnetworks:\n  default: {name: shared-net}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Volumes["a"].Name != "pr_a" || p.Volumes["b"].Name != "pr_b" {
		t.Errorf("a list of volume names: %+v %+v", p.Volumes["a"], p.Volumes["b"])
	}
	if p.Networks["default"].Name != "shared-net" {
		t.Errorf("default network renamed: %+v", p.Networks["default"])
	}
}

func TestTmpfsAndSizes(t *testing.T) {
	m := Mount{}
	if err := tmpfsOptions(&m, "size=64m,mode=1777,noexec"); err != nil || m.TmpfsSize != 64<<20 || m.TmpfsMode != 0o1777 {
		t.Errorf("tmpfs options: %+v %v", m, err)
	}
	if err := tmpfsOptions(&m, "uid=5"); err == nil {
		t.Error("tmpfs uid= accepted")
	}
	for in, want := range map[string]int64{"1024": 1024, "1k": 1024, "2kb": 2048, "3M": 3 << 20, "1g": 1 << 30, "5b": 5} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "m", "-1", "1t", "x1"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
	for in, want := range map[string]uint32{"0440": 0o440, "0o755": 0o755, "288": 0o440} {
		if got, err := parseYAMLMode(in); err != nil || got != want {
			t.Errorf("parseYAMLMode(%q) = %o, %v; want %o", in, got, err, want)
		}
	}
	if _, err := parseYAMLMode("0999"); err == nil {
		t.Error("mode 0999 accepted")
	}
}
