// Package web renders Gatehouse's pages (sign-in, consent, messages) from
// embedded templates and serves their static assets. Templates are parsed
// at start-up (a broken one stops the boot); each page renders into a
// buffer first, so a failing template never sends half a page; every page
// carries a strict Content-Security-Policy and CSRF protection.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Route is one endpoint of a browser-facing protocol (OIDC, CAS, SAML,
// form-fill): a ServeMux pattern and its handler.
type Route struct {
	Pattern string
	Handler http.HandlerFunc
	// Public routes serve documents any client may fetch and poll (JWKS,
	// discovery): their successful requests are logged at debug, not info,
	// and they carry the headers of JSON any origin may read rather than
	// those of a page (internal/server publicDocument).
	Public bool
}

// Pages renders the page templates.
type Pages struct {
	pages map[string]*template.Template
}

// Page names.
const (
	PageLogin   = "login"
	PageConsent = "consent"
	PageMessage = "message"
	// PageFormFill posts a filled form to an application (one script).
	PageFormFill = "formfill"
	// PageCredentials asks for a user's credentials at an application.
	PageCredentials = "credentials"
	// PageAutoPost posts a protocol message (a SAML response) through the
	// browser (one script).
	PageAutoPost = "autopost"
	// PageMFA asks for a TOTP code, or enrols an authenticator.
	PageMFA = "mfa"
)

// NewPages parses every page template.
func NewPages() (*Pages, error) {
	p := &Pages{pages: map[string]*template.Template{}}
	for _, name := range []string{PageLogin, PageConsent, PageMessage, PageFormFill, PageCredentials, PageAutoPost, PageMFA} {
		t, err := template.New("layout").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.pages[name] = t
	}
	return p, nil
}

// View is what every page shows; page-specific fields are in the embedding
// view structs.
type View struct {
	Title      string
	TenantName string
}

// LoginView is the sign-in page.
type LoginView struct {
	View
	AppName      string
	Error        string
	CSRF         string
	LoginRequest string
	UserName     string
}

// MFAView is the second step of a sign-in: the code form, or (Enrol) the
// enrolment of an authenticator with its secret and otpauth URI.
type MFAView struct {
	View
	AppName      string
	UserName     string
	Error        string
	CSRF         string
	LoginRequest string
	Enrol        bool
	Secret       string
	URI          string
}

// ConsentView is the consent page.
type ConsentView struct {
	View
	AppName  string
	Scopes   []string
	UserName string
	CSRF     string
	Request  string
}

// MessageView is an information or error page.
type MessageView struct {
	View
	Message   string
	Detail    string
	IsError   bool
	RequestID string
}

// FormFillView is the page that posts a user's credentials to a form-fill
// application: a hidden form and the one script that submits it.
type FormFillView struct {
	View
	AppName string
	Method  string
	Action  string
	Fields  []FormField
	Script  template.JS
}

// AutoPostView is the page that carries a protocol message to another
// site with the HTTP-POST binding: a hidden form, the script that submits
// it, and a button for browsers without scripts.
type AutoPostView struct {
	View
	Lead   string
	Button string
	Action string
	Fields []FormField
	Script template.JS
}

// FormField is one field of a filled form.
type FormField struct{ Name, Value string }

// CredentialsView asks for the user's account at a form-fill application.
type CredentialsView struct {
	View
	AppName     string
	Action      string
	AccountName string
	Error       string
	CSRF        string
}

// autoSubmit is the only script any page runs; the CSP names its hash.
const autoSubmit = `document.getElementById("autosubmit").submit();`

var autoSubmitHash = func() string {
	h := sha256.Sum256([]byte(autoSubmit))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// RenderFormFill writes the auto-submitting form page: its CSP allows the
// one script by hash and form posts to action's origin only.
func (p *Pages) RenderFormFill(w http.ResponseWriter, v FormFillView, actionOrigin string) {
	v.Script = autoSubmit
	p.render(w, http.StatusOK, PageFormFill, v, "script-src "+autoSubmitHash+"; "+CSP(actionOrigin))
}

// RenderAutoPost writes the auto-submitting POST page. Like the form-fill
// page, its CSP allows the one script by hash; formAction is the
// form-action source list (the action's origin and any origin the
// receiver may redirect the posted form to).
func (p *Pages) RenderAutoPost(w http.ResponseWriter, v AutoPostView, formAction ...string) {
	v.Script = autoSubmit
	p.render(w, http.StatusOK, PageAutoPost, v, "script-src "+autoSubmitHash+"; "+CSP(formAction...))
}

// Render writes page with status. formOrigins are the origins (besides
// this one) a form on the page may end up redirecting to.
func (p *Pages) Render(w http.ResponseWriter, status int, page string, view any, formOrigins ...string) {
	p.render(w, status, page, view, CSP(formOrigins...))
}

func (p *Pages) render(w http.ResponseWriter, status int, page string, view any, csp string) {
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, "layout", view); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// CSP is the pages' policy: nothing but this origin's stylesheet and
// images, no script at all, forms only to this origin (and the given
// origins a form's redirects may reach), never framed.
func CSP(formOrigins ...string) string {
	fa := "'self'"
	for _, o := range formOrigins {
		if o != "" && !strings.ContainsAny(o, " ;,'\"") {
			fa += " " + o
		}
	}
	return "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action " + fa +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// Static serves the embedded assets under /static/.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		fsrv.ServeHTTP(w, r)
	})
}
