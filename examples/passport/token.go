package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
)

// errBadToken covers every way a token can fail to validate.
var errBadToken = errors.New("invalid or expired token")

// tokenPayload is what a token carries, signed.
type tokenPayload struct {
	api.Claims
	Expires int64 `json:"exp"` // unix seconds
}

// signer issues and checks stateless tokens: base64url(JSON payload) "."
// base64url(HMAC-SHA256). Stateless tokens let every passport replica
// validate without touching store.
type signer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

func (s signer) issue(c api.Claims) (token string, expires time.Time) {
	expires = s.now().Add(s.ttl)
	payload, _ := json.Marshal(tokenPayload{Claims: c, Expires: expires.Unix()})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), expires
}

func (s signer) validate(token string) (api.Claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return api.Claims{}, errBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return api.Claims{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return api.Claims{}, errBadToken
	}
	var payload tokenPayload
	if err := json.Unmarshal(raw, &payload); err != nil || s.now().Unix() >= payload.Expires {
		return api.Claims{}, errBadToken
	}
	return payload.Claims, nil
}

func (s signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
