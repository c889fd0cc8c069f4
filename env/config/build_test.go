package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseBuildYAML(t *testing.T, yaml string, env map[string]string) (*Project, error) {
	t.Helper()
	return Parse("/proj/envs.yaml", []byte(yaml), LoadOptions{LookupEnv: lookupIn(env)})
}

func TestBuildForms(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		image string
		want  *Build
	}{
		{
			name:  "short form names the context; the image is <project>-<service>",
			yaml:  "name: shop\nservices:\n  Web:\n    build: ./web\n",
			image: "shop-web",
			want:  &Build{Context: "/proj/web", Dockerfile: "Dockerfile"},
		},
		{
			name:  "image: names the built image",
			yaml:  "name: shop\nservices:\n  web:\n    image: web:dev\n    build: {context: /src, dockerfile: d/Dockerfile}\n",
			image: "web:dev",
			want:  &Build{Context: "/src", Dockerfile: "d/Dockerfile"},
		},
		{
			name:  "args as a list: a bare KEY comes from the environment or is left out",
			yaml:  "name: shop\nservices:\n  web:\n    build:\n      args: [A=1, FROM_ENV, UNSET]\n      target: dev\n",
			image: "shop-web",
			want:  &Build{Context: "/proj", Dockerfile: "Dockerfile", Args: map[string]string{"A": "1", "FROM_ENV": "e"}, Target: "dev"},
		},
		{
			name:  "BuildKit-only keys are recorded, sorted",
			yaml:  "name: shop\nservices:\n  web:\n    build:\n      ssh: {default: /run/agent}\n      platforms: [linux/amd64, linux/arm64]\n      privileged: true\n",
			image: "shop-web",
			want: &Build{Context: "/proj", Dockerfile: "Dockerfile", SSH: []string{"default=/run/agent"},
				Platforms: []string{"linux/amd64", "linux/arm64"}, BuildKit: []string{"platforms", "privileged", "ssh"}},
		},
		{
			name:  "one platform is for the classic builder",
			yaml:  "name: shop\nservices:\n  web:\n    build: {platforms: [linux/amd64], shm_size: 1g}\n",
			image: "shop-web",
			want:  &Build{Context: "/proj", Dockerfile: "Dockerfile", Platforms: []string{"linux/amd64"}, ShmSize: 1 << 30},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseBuildYAML(t, tt.yaml, map[string]string{"FROM_ENV": "e"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Services {
				if s.Image != tt.image {
					t.Errorf("image = %q, want %q", s.Image, tt.image)
				}
				if diff := cmp.Diff(tt.want, s.Build); diff != "" {
					t.Errorf("build (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestBuildWarnings(t *testing.T) {
	p, err := parseBuildYAML(t, "services:\n  web:\n    build:\n      context: .\n      isolation: hyperv\n      sbom: true\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`/proj/envs.yaml:5:18: service "web" build isolation has no effect on a local Linux engine's build; it is ignored`,
		`/proj/envs.yaml:6:13: service "web" build sbom has no effect on a local Linux engine's build; it is ignored`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestBuildErrorsHavePositions(t *testing.T) {
	_, err := parseBuildYAML(t, "services:\n  web:\n    build:\n      context: .\n      tags: [\"Not A Tag\"]\n  db:\n    build: [x]\n", nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`envs.yaml:5:14: service "web" build tag "Not A Tag" is not a valid image reference`,
		`envs.yaml:7:12: service "db" build must be a mapping, not a list`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
}
