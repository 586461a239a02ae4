package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRF protects forms with a token bound to a per-browser cookie: the form
// carries HMAC(key, cookie value, purpose), which a page of another origin
// can neither read nor compute.
type CSRF struct {
	Key    []byte
	Secure bool // set the cookie's Secure flag (https deployments)
}

const csrfCookie = "gh_csrf"

// Token returns the token for purpose, setting the browser's cookie first
// when it has none.
func (c *CSRF) Token(w http.ResponseWriter, r *http.Request, purpose string) string {
	v := ""
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
		v = ck.Value
	} else {
		var b [32]byte
		rand.Read(b[:])
		v = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true,
			Secure: c.Secure, SameSite: http.SameSiteStrictMode})
	}
	return c.mac(v, purpose)
}

// Check reports whether token is the one Token gave this browser.
func (c *CSRF) Check(r *http.Request, purpose, token string) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(c.mac(ck.Value, purpose)))
}

func (c *CSRF) mac(cookie, purpose string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
