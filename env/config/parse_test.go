package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInterpolate(t *testing.T) {
	env := lookupIn(map[string]string{"A": "a", "EMPTY": "", "N": "1"})
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "no references", in: "plain", want: "plain"},
		{name: "bare", in: "$A/x", want: "a/x"},
		{name: "bare name ends at non-name", in: "$A-b", want: "a-b"},
		{name: "braced", in: "x${A}y", want: "xay"},
		{name: "unset is empty", in: "[${NOPE}][$NOPE]", want: "[][]"},
		{name: "escaped dollar", in: "$$A $${A}", want: "$A ${A}"},
		{name: "colon dash on empty", in: "${EMPTY:-d}", want: "d"},
		{name: "dash on empty", in: "${EMPTY-d}", want: ""},
		{name: "dash on unset", in: "${NOPE-d}", want: "d"},
		{name: "default with spaces and colons", in: "${NOPE:-a b:c}", want: "a b:c"},
		{name: "nested default", in: "${NOPE:-${A}-${NOPE:-z}}", want: "a-z"},
		{name: "plus", in: "${A:+yes}${EMPTY:+no}${EMPTY+yes}", want: "yesyes"},
		{name: "required set", in: "${A:?m}${EMPTY?m}", want: "a"},
		{name: "required unset", in: "${NOPE:?give me NOPE}", wantErr: "required variable NOPE is not set: give me NOPE"},
		{name: "required empty", in: "${EMPTY:?}", wantErr: "required variable EMPTY is empty;"},
		{name: "required message interpolated", in: "${NOPE?need $A}", wantErr: "is not set: need a;"},
		{name: "unclosed", in: "${A", wantErr: `unclosed "${A"`},
		{name: "unclosed nested", in: "${A:-${B}", wantErr: "unclosed"},
		{name: "lone dollar", in: "cost $", wantErr: `invalid interpolation "$"`},
		{name: "dollar digit", in: "$1", wantErr: `invalid interpolation "$1"`},
		{name: "empty braces", in: "${}", wantErr: "invalid variable reference ${}"},
		{name: "bad operator", in: "${A/x}", wantErr: "invalid variable reference ${A/x}"},
		{name: "too deep", in: strings.Repeat("${X:-", 12) + strings.Repeat("}", 12), wantErr: "nested more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := interpolate(tt.in, env, 0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePort(t *testing.T) {
	tcp := func(ip string, host, cont uint16) Port {
		return Port{HostIP: ip, HostPort: host, ContainerPort: cont, Protocol: "tcp"}
	}
	tests := []struct {
		name, spec string
		want       []Port
		wantErr    string
	}{
		{name: "both", spec: "3306:3306", want: []Port{tcp("", 3306, 3306)}},
		{name: "container only is ephemeral", spec: "8080", want: []Port{tcp("", 0, 8080)}},
		{name: "ip and proto", spec: "127.0.0.1:8080:80/tcp", want: []Port{tcp("127.0.0.1", 8080, 80)}},
		{name: "ip ephemeral", spec: "127.0.0.1::80", want: []Port{tcp("127.0.0.1", 0, 80)}},
		{name: "ipv6", spec: "[::1]:8080:80", want: []Port{tcp("::1", 8080, 80)}},
		{name: "udp", spec: "53:53/udp", want: []Port{{HostPort: 53, ContainerPort: 53, Protocol: "udp"}}},
		{name: "range", spec: "9000-9001:9100-9101", want: []Port{tcp("", 9000, 9100), tcp("", 9001, 9101)}},
		{name: "container range", spec: "7000-7001", want: []Port{tcp("", 0, 7000), tcp("", 0, 7001)}},
		{name: "max", spec: "65535:1", want: []Port{tcp("", 65535, 1)}},
		{name: "zero", spec: "0", wantErr: `container port "0" is not a number from 1 to 65535`},
		{name: "too big", spec: "65536:80", wantErr: `host port "65536"`},
		{name: "ranges differ", spec: "1-3:1-2", wantErr: "differ in length"},
		{name: "single host, range container", spec: "80:80-81", wantErr: "differ in length"},
		{name: "backwards", spec: "5-4", wantErr: "runs backwards"},
		{name: "huge range", spec: "1-5000", wantErr: "more than 1000 ports"},
		{name: "sctp", spec: "80/sctp", wantErr: "use tcp or udp"},
		{name: "bad ip", spec: "localhost:80:80", wantErr: `host IP "localhost"`},
		{name: "unbracketed ipv6", spec: "::1:80:80", wantErr: "too many colons"},
		{name: "empty", spec: "", wantErr: `container port ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePort(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, pt := range got {
				again, err := parsePort(pt.String())
				if err != nil || len(again) != 1 || again[0] != pt {
					t.Errorf("%v.String() = %q does not parse back: %v %v", pt, pt.String(), again, err)
				}
			}
		})
	}
}

func TestParseMount(t *testing.T) {
	p := &parser{dir: "/proj", lookupEnv: lookupIn(map[string]string{"HOME": "/home/dev"})}
	tests := []struct {
		name, spec string
		want       Mount
		wantErr    string
	}{
		{name: "named", spec: "mysql-data:/var/lib/mysql", want: Mount{Type: MountVolume, Source: "mysql-data", Target: "/var/lib/mysql"}},
		{name: "relative bind ro", spec: "./conf:/etc/conf:ro", want: Mount{Type: MountBind, Source: "/proj/conf", Target: "/etc/conf", ReadOnly: true, CreateHostPath: true}},
		{name: "parent bind", spec: "../x:/x", want: Mount{Type: MountBind, Source: "/x", Target: "/x", CreateHostPath: true}},
		{name: "dot", spec: ".:/src:rw", want: Mount{Type: MountBind, Source: "/proj", Target: "/src", CreateHostPath: true}},
		{name: "home", spec: "~/.cache:/root/.cache", want: Mount{Type: MountBind, Source: "/home/dev/.cache", Target: "/root/.cache", CreateHostPath: true}},
		{name: "bare tilde", spec: "~:/home", want: Mount{Type: MountBind, Source: "/home/dev", Target: "/home", CreateHostPath: true}},
		{name: "absolute cleaned", spec: "/a//b/:/t/../u", want: Mount{Type: MountBind, Source: "/a/b", Target: "/u", CreateHostPath: true}},
		{name: "anonymous", spec: "/data", want: Mount{Type: MountVolume, Target: "/data"}},
		{name: "selinux and ro", spec: "./c:/c:ro,Z", want: Mount{Type: MountBind, Source: "/proj/c", Target: "/c", ReadOnly: true, SELinux: "Z", CreateHostPath: true}},
		{name: "shared label", spec: "/h:/c:z", want: Mount{Type: MountBind, Source: "/h", Target: "/c", SELinux: "z", CreateHostPath: true}},
		{name: "nocopy", spec: "v:/d:nocopy", want: Mount{Type: MountVolume, Source: "v", Target: "/d", NoCopy: true}},
		{name: "desktop hint", spec: "./c:/c:cached", want: Mount{Type: MountBind, Source: "/proj/c", Target: "/c", CreateHostPath: true}},
		{name: "too many parts", spec: "a:/b:ro:x", wantErr: "write [SOURCE:]TARGET"},
		{name: "relative target", spec: "v:data", wantErr: "must be an absolute path"},
		{name: "label on volume", spec: "v:/d:z", wantErr: `mode "z" relabels`},
		{name: "nocopy on bind", spec: "./c:/d:nocopy", wantErr: "volumes only"},
		{name: "bad mode", spec: "v:/d:rx", wantErr: `mode "rx"`},
		{name: "bad volume name", spec: "-v:/d", wantErr: "volume name"},
		{name: "other user", spec: "~bob/x:/x", wantErr: "~user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.parseMount(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitShell(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "words", in: "serve --port  80", want: []string{"serve", "--port", "80"}},
		{name: "double quotes", in: `echo "a b" "c\"d"`, want: []string{"echo", "a b", `c"d`}},
		{name: "single quotes literal", in: `echo 'a\b "c"'`, want: []string{"echo", `a\b "c"`}},
		{name: "joined quotes", in: `a"b c"'d'`, want: []string{"ab cd"}},
		{name: "empty quotes are a word", in: `x ""`, want: []string{"x", ""}},
		{name: "backslash space", in: `a\ b`, want: []string{"a b"}},
		{name: "empty", in: "   ", want: nil},
		{name: "unterminated", in: `echo "x`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitShell(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEnvFile(t *testing.T) {
	data := "# comment\n\nA=1\nexport B = two \nC='single # kept'\nD=\"dq \\\"x\\\" \\n\"\nE=unquoted # comment\nF=\nG=a=b\r\n"
	var errs ErrorList
	got := parseEnvFile("x.env", []byte(data), &errs)
	want := []envLine{{"A", "1"}, {"B", "two"}, {"C", "single # kept"}, {"D", "dq \"x\" \n"}, {"E", "unquoted"}, {"F", ""}, {"G", "a=b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(errs) != 0 {
		t.Errorf("unexpected errors: %v", errs)
	}
}

func TestRegistryPrefix(t *testing.T) {
	tests := []struct{ name, registry, image, want string }{
		{name: "bare name", registry: "registry.example.com/chuye", image: "works:2.7", want: "registry.example.com/chuye/works:2.7"},
		{name: "hub namespace", registry: "registry.example.com/chuye", image: "team/works", want: "registry.example.com/chuye/team/works"},
		{name: "explicit hub", registry: "registry.example.com/chuye", image: "docker.io/x/y", want: "docker.io/x/y"},
		{name: "host with port", registry: "registry.example.com/chuye", image: "127.0.0.1:5000/x", want: "127.0.0.1:5000/x"},
		{name: "localhost", registry: "registry.example.com/chuye", image: "localhost/x", want: "localhost/x"},
		{name: "digest", registry: "localhost:5000", image: "works@sha256:abc", want: "localhost:5000/works@sha256:abc"},
		{name: "trailing slash trimmed", registry: "r.example.com/", image: "w", want: "r.example.com/w"},
		{name: "no registry", registry: "", image: "works:2.7", want: "works:2.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "services:\n  w:\n    image: " + tt.image + "\n"
			if tt.registry != "" {
				src = "registry: " + tt.registry + "\n" + src
			}
			p, err := Parse("envs.yaml", []byte(src), LoadOptions{LookupEnv: lookupIn(nil)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Services["w"].Image); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvironmentFromProcess(t *testing.T) {
	src := "services:\n  w:\n    image: x\n    environment: [SET, UNSET, EMPTY, \"LIT=$$SET\"]\n"
	p, err := Parse("envs.yaml", []byte(src), LoadOptions{LookupEnv: lookupIn(map[string]string{"SET": "s", "EMPTY": ""})})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"SET": "s", "EMPTY": "", "LIT": "$SET"}
	if diff := cmp.Diff(want, p.Services["w"].Environment); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestVersionIsIgnored: Compose files carry version: "2", "3.8" and the
// like; the specification made it informative, and so is it here, with
// one warning at its position as Compose gives.
func TestVersionIsIgnored(t *testing.T) {
	for _, v := range []string{`"3.8"`, `2`, `"2.4"`, `1`} {
		p, err := Parse("envs.yaml", []byte("version: "+v+"\nservices:\n  web:\n    image: nginx\n"), LoadOptions{LookupEnv: lookupIn(nil)})
		if err != nil {
			t.Errorf("version: %s: %v", v, err)
		} else if p.Services["web"] == nil || len(p.Warnings) != 1 || p.Warnings[0].Line != 1 || p.Warnings[0].Column != 10 {
			t.Errorf("version: %s: services %v, warnings %v (want one, at 1:10)", v, p.Services, p.Warnings)
		}
	}
}

// TestBareEnvironmentKeyFromDotenv: a bare KEY in environment: takes the
// shell's value, else the project's .env value, as Compose does; a key set
// in neither is left out.
func TestBareEnvironmentKeyFromDotenv(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: nginx\n    environment: [FROM_SHELL, FROM_DOTENV, BOTH, NOWHERE]\n  api:\n    image: nginx\n    environment: {FROM_DOTENV: }\n",
		".env":         "FROM_DOTENV=d\nBOTH=dotenv\n",
	})
	p, err := Load(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(map[string]string{"FROM_SHELL": "s", "BOTH": "shell"})})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"FROM_SHELL": "s", "FROM_DOTENV": "d", "BOTH": "shell"}
	if diff := cmp.Diff(want, p.Services["web"].Environment); diff != "" {
		t.Errorf("web (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"FROM_DOTENV": "d"}, p.Services["api"].Environment); diff != "" {
		t.Errorf("api (-want +got):\n%s", diff)
	}
}

// TestLongSyntaxPorts: ports in the long syntax give the same Ports as
// their short forms, mixed in one list; errors and the one warning carry
// their positions.
func TestLongSyntaxPorts(t *testing.T) {
	p, err := Parse("envs.yaml", []byte(`services:
  web:
    image: nginx
    ports:
      - "8080:80"
      - target: 443
        published: "8443"
        host_ip: 127.0.0.1
        protocol: tcp
        mode: host
        name: https
      - {target: 53, published: 5353, protocol: UDP}
      - {target: 9000, host_ip: "::1", published: ""}
      - {target: 7000-7001, published: 17000-17001}
      - {target: 81, app_protocol: http}
`), LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := []Port{
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Protocol: "tcp"},
		{HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
		{HostIP: "::1", ContainerPort: 9000, Protocol: "tcp"},
		{HostPort: 17000, ContainerPort: 7000, Protocol: "tcp"},
		{HostPort: 17001, ContainerPort: 7001, Protocol: "tcp"},
		{ContainerPort: 81, Protocol: "tcp"},
	}
	if diff := cmp.Diff(want, p.Services["web"].Ports); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Line != 15 || !strings.Contains(p.Warnings[0].Msg, "app_protocol") {
		t.Errorf("warnings %v, want app_protocol's at line 15", p.Warnings)
	}
	_, err = Parse("envs.yaml", []byte(`services:
  web:
    image: nginx
    ports:
      - {published: 80}
      - {target: 80, mode: swarm}
      - {target: 80, host_ip: 127.0.0.1}
      - {target: 80, publshed: 8080}
`), LoadOptions{LookupEnv: lookupIn(nil)})
	for _, want := range []string{
		"envs.yaml:5:9: service \"web\" ports: a port in the long syntax needs target:",
		"envs.yaml:6:28: service \"web\" ports mode \"swarm\" is invalid",
		"envs.yaml:7:31: service \"web\" ports: host_ip needs published:",
		"envs.yaml:8:22: unknown key \"publshed\" in service \"web\" ports entry (did you mean \"published\"?)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant it to contain %q", err, want)
		}
	}
}
