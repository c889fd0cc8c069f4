package gateway

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// secret reads the credential's value.
func (cr *Credentials) secret() (string, error) {
	if cr.Env != "" {
		s, ok := os.LookupEnv(cr.Env)
		if !ok || s == "" {
			return "", fmt.Errorf("environment variable %s is not set", cr.Env)
		}
		return s, nil
	}
	b, err := os.ReadFile(cr.File)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", cr.File)
	}
	return s, nil
}

// header is the header the gateway injects upstream.
func (cr *Credentials) header() (http.Header, error) {
	s, err := cr.secret()
	if err != nil {
		return nil, err
	}
	switch cr.Scheme {
	case "basic":
		if !strings.Contains(s, ":") {
			return nil, errors.New("basic credentials must read user:password")
		}
		s = "Basic " + base64.StdEncoding.EncodeToString([]byte(s))
	case "bearer":
		s = "Bearer " + s
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("the secret contains a line break")
	}
	return http.Header{http.CanonicalHeaderKey(cr.Header): {s}}, nil
}

// upstreamHeaders resolves every target's credentials, by target name.
func (c *Config) upstreamHeaders() (map[string]http.Header, error) {
	hs := map[string]http.Header{}
	var errs []error
	for _, t := range c.Targets {
		if t.Credentials == nil {
			continue
		}
		h, err := t.Credentials.header()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: target %q: credentials: %w", c.File, t.Name, err))
			continue
		}
		hs[t.Name] = h
	}
	return hs, errors.Join(errs...)
}

// Check validates what LoadConfig cannot: that the gateway token and every
// target's credentials can be read. Nothing is sent anywhere.
func Check(c *Config) error {
	var errs []error
	if tok, err := c.HubToken(); err != nil {
		errs = append(errs, fmt.Errorf("%s: hub.token_file: %w", c.File, err))
	} else if tok == "" {
		errs = append(errs, fmt.Errorf("%s: the gateway token is empty", c.File))
	}
	if _, err := c.upstreamHeaders(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// login is the user and secret a target logs in upstream with; both are
// empty when the target has no credentials.
func (tc TargetConfig) login() (user, secret string, err error) {
	if tc.Credentials == nil {
		return "", "", nil
	}
	secret, err = tc.Credentials.secret()
	return tc.Credentials.User, secret, err
}
