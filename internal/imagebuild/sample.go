package imagebuild

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SampleOptions is the image configuration of a sample-stack service (or
// testsvc): the same for every tool that builds them, so a service's image ID
// is the same whether it was loaded locally or pushed to a registry. Sample
// services carry a default healthcheck, like a Dockerfile HEALTHCHECK, so they
// report health under plain `docker run` too (envs.yaml may override it);
// testsvc gets none: tests decide.
func SampleOptions(service, arch string) ImageOptions {
	opts := ImageOptions{
		Arch:         arch,
		ExposedPorts: []string{"8080/tcp"},
		Labels: map[string]string{
			"org.opencontainers.image.title": service,
			"dev.devenv.example":             "true",
		},
	}
	if service != "testsvc" {
		opts.Healthcheck = &v1.HealthConfig{
			Test:     []string{"CMD", BinaryPath, "health"},
			Interval: 2 * time.Second,
			Timeout:  2 * time.Second,
			Retries:  15,
		}
	}
	return opts
}
