package config

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProfilesSelectServices(t *testing.T) {
	src := `services:
  web: {image: web}
  test_lib: {image: t, profiles: [test]}
  coverage_lib: {image: c, depends_on: [test_lib], profiles: [test]}
  debug_lib: {image: d, depends_on: [test_lib], profiles: [debug]}
environments:
  cov: [coverage_lib]
`
	tests := []struct {
		name     string
		profiles []string
		env      map[string]string
		resolve  string   // environment to resolve
		closure  []string // else services to name
		want     []string
		wantErr  error
	}{
		{name: "no profile", want: []string{"web"}},
		{name: "test", profiles: []string{"test"}, want: []string{"coverage_lib", "test_lib", "web"}},
		{name: "COMPOSE_PROFILES", env: map[string]string{"COMPOSE_PROFILES": "test, other"}, want: []string{"coverage_lib", "test_lib", "web"}},
		{name: "debug needs test_lib", profiles: []string{"debug"}, wantErr: ErrProfileDisabled},
		{name: "all", profiles: []string{"*"}, want: []string{"coverage_lib", "debug_lib", "test_lib", "web"}},
		{name: "naming a service enables its profiles", closure: []string{"coverage_lib"}, want: []string{"coverage_lib", "test_lib"}},
		{name: "but not its dependencies' profiles", closure: []string{"debug_lib"}, wantErr: ErrProfileDisabled},
		{name: "an environment names its services", resolve: "cov", want: []string{"coverage_lib", "test_lib"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("envs.yaml", []byte(src), LoadOptions{LookupEnv: lookupIn(tt.env), FileOptions: FileOptions{Profiles: tt.profiles}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if tt.closure != nil {
				got, err = p.Closure(tt.closure)
			} else {
				got, err = p.Resolve(tt.resolve)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidProfileName(t *testing.T) {
	_, err := Parse("envs.yaml", []byte("services:\n  web:\n    image: x\n    profiles: [ok, -bad]\n"), LoadOptions{LookupEnv: lookupIn(nil)})
	if err == nil || err.Error() != `envs.yaml:4:20: service "web" profile "-bad" is invalid; use letters, digits, _, . and -, at least two, starting with a letter or digit` {
		t.Errorf("err = %v", err)
	}
}

// TestProjectNameNamesWhatDerivesFromIt: -p and $COMPOSE_PROJECT_NAME
// (in that order, before name:) name the project before anything derives
// a name from it: built images, networks and volumes follow.
func TestProjectNameNamesWhatDerivesFromIt(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": "name: fromfile\nservices:\n  web:\n    build: .\n    networks: [back]\n    volumes: ['data:/d']\nnetworks:\n  back: {}\nvolumes:\n  data: {}\n",
		"Dockerfile":   "FROM scratch\n",
	})
	for _, tt := range []struct {
		flag string
		env  map[string]string
		want string
	}{
		{want: "fromfile"},
		{env: map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, want: "fromenv"},
		{flag: "fromflag", env: map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, want: "fromflag"},
	} {
		opts := LoadOptions{WorkDir: dir, LookupEnv: lookupIn(tt.env)}
		opts.ProjectName = tt.flag
		p, err := Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{p.Name, p.Services["web"].Image, p.Networks["back"].Name, p.Volumes["data"].Name}
		want := []string{tt.want, tt.want + "-web", tt.want + "_back", tt.want + "_data"}
		if !slices.Equal(got, want) {
			t.Errorf("flag %q env %v: name, image, network, volume = %v, want %v", tt.flag, tt.env, got, want)
		}
	}
}
