package oidc

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

const csrfConsent = "consent"

// scopeText says in words what each scope lets an application do.
var scopeText = map[string]string{
	"openid":         "Sign you in",
	"profile":        "See your name and profile",
	"email":          "See your e-mail address",
	"phone":          "See your mobile number",
	"address":        "See your region and city",
	"offline_access": "Stay connected when you are away",
	"get_user_info":  "See your user name, name, e-mail address and mobile number",
}

// needConsent: the application requires consent (or prompt=consent asks
// for it again) and the user has not already granted every scope asked.
func (p *Provider) needConsent(r *http.Request, cl *client, ar *authRequest, u *storage.User) bool {
	if ar.prompts("consent") {
		return true
	}
	if !cl.app.OIDC.RequireConsent {
		return false
	}
	c, err := p.Store.Consents().Get(r.Context(), ar.TenantID, u.ID, cl.id())
	if err != nil {
		return true
	}
	granted := strings.Fields(c.Scope)
	for _, s := range strings.Fields(ar.Scope) {
		if !slices.Contains(granted, s) {
			return true
		}
	}
	return false
}

func (p *Provider) consentPage(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest, u *storage.User) {
	var scopes []string
	for _, s := range strings.Fields(ar.Scope) {
		scopes = append(scopes, scopeText[s])
	}
	ar.Prompt = strings.TrimSpace(strings.ReplaceAll(" "+ar.Prompt+" ", " consent ", " ")) // asked now
	t := tenant.FromContext(r.Context())
	p.Pages.Render(w, http.StatusOK, web.PageConsent, web.ConsentView{
		View:    web.View{Title: "Allow access?", TenantName: t.Name},
		AppName: cl.app.Name, Scopes: scopes, UserName: u.UserName,
		CSRF: p.CSRF.Token(w, r, csrfConsent), Request: sealAuthRequest(p.Sealer, ar),
	}, origin(ar.RedirectURI))
}

// consentSubmit is POST /api/v1/oauth2/consent: Allow records the consent
// and answers the application; Deny answers access_denied.
func (p *Provider) consentSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	t := tenant.FromContext(r.Context())
	ar, err := openAuthRequest(p.Sealer, r.PostForm.Get("ar"), t.ID, p.Now())
	if err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "This consent form is invalid or has expired. Go back to the application and start again.")
		return
	}
	if !p.CSRF.Check(r, csrfConsent, r.PostForm.Get("csrf")) {
		p.errorPage(w, r, http.StatusForbidden, "The consent form expired or came from another site.")
		return
	}
	cl, err := p.clients.get(r.Context(), t.ID, ar.ClientID)
	if err != nil || !matchRedirect(&cl.app.OIDC, ar.RedirectURI) {
		p.errorPage(w, r, http.StatusBadRequest, "The application (client_id) is unknown or disabled.")
		return
	}
	sess, u, err := p.currentUser(r, t.ID, cl)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if sess == nil {
		p.toLogin(w, r, cl, ar)
		return
	}
	if ar.needsSecondFactor(&cl.app.Application, sess) {
		p.toStepUp(w, r, cl, ar, sess)
		return
	}
	a := audit.Actor{Type: audit.ActorUser, ID: u.ID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
	target := audit.Target{Type: "application", ID: cl.app.ID}
	if r.PostForm.Get("decision") != "allow" {
		p.Store.Audit().Append(r.Context(), p.Audit.Event(t.ID, a, "consent.deny", target, storage.ResultSuccess, ar.Scope))
		p.redirectError(w, r, ar, "access_denied", "The user denied access.")
		return
	}
	err = p.Audit.Do(r.Context(), t.ID, a, "consent.grant", target, func(tx storage.Repos, _ *audit.Target) error {
		return tx.Consents().Put(r.Context(), &storage.Consent{TenantID: t.ID, UserID: u.ID, ClientID: cl.id(), Scope: ar.Scope, GrantedAt: p.Now()})
	})
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	grant, err := p.access(r.Context(), cl, u)
	if err != nil {
		p.denyAccess(w, r, cl, ar, u, err)
		return
	}
	p.respond(w, r, cl, ar, sess, u, grant)
}
