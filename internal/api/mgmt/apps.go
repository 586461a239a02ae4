package mgmt

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// appRead is an application as the API shows it (GATEHOUSE-API.md): the
// register body plus ids, status and times; client_secret only on register.
type appRead struct {
	ApplicationID   string                 `json:"application_id"`
	ClientID        string                 `json:"client_id"`
	ClientSecret    string                 `json:"client_secret,omitempty"`
	Name            string                 `json:"name"`
	Description     string                 `json:"description"`
	LogoURL         string                 `json:"logo_url"`
	HomeURL         string                 `json:"home_url"`
	Category        string                 `json:"category"`
	Protocol        string                 `json:"protocol"`
	Status          string                 `json:"status"`
	OIDC            *apps.OIDCSettings     `json:"oidc,omitempty"`
	CAS             *apps.CASSettings      `json:"cas,omitempty"`
	FormFill        *apps.FormFillSettings `json:"form_fill,omitempty"`
	SAML            *apps.SAMLSettings     `json:"saml,omitempty"`
	APIPermissions  []string               `json:"api_permissions"`
	AccessPolicy    string                 `json:"access_policy"`
	AccessOrgIDs    []string               `json:"access_org_ids"`
	AccessRules     []apps.AccessRule      `json:"access_rules"`
	AccountNameRule string                 `json:"account_name_rule"`
	ClaimMappings   []apps.ClaimMapping    `json:"claim_mappings"`
	Login           apps.LoginSettings     `json:"login"`
	CreatedAt       *string                `json:"created_at"`
	UpdatedAt       *string                `json:"updated_at"`
}

func (a *API) appRead(app *apps.App) appRead {
	out := appRead{ApplicationID: app.ID, ClientID: app.ClientID, ClientSecret: app.ClientSecret, Name: app.Name,
		Description: app.Description, LogoURL: app.LogoURL, HomeURL: app.HomeURL, Category: app.Category, Protocol: app.Protocol,
		Status: "enabled", APIPermissions: app.APIPermissions, AccessPolicy: app.AccessPolicy, AccessOrgIDs: app.AccessOrgIDs, AccessRules: apps.Rules(&app.Application), AccountNameRule: app.AccountNameRule, ClaimMappings: app.Mappings, Login: apps.Login(&app.Application), CreatedAt: a.stamp(app.CreatedAt), UpdatedAt: a.stamp(app.UpdatedAt)}
	if app.Disabled {
		out.Status = "disabled"
	}
	switch app.Protocol {
	case "oidc", "oauth2":
		s := app.OIDC
		out.OIDC = &s
	case "cas":
		c := app.CAS
		out.CAS = &c
	case "form_fill":
		f := app.FormFill
		out.FormFill = &f
	case "saml":
		m := app.SAML
		out.SAML = &m
	}
	if out.APIPermissions == nil {
		out.APIPermissions = []string{}
	}
	if out.AccessOrgIDs == nil {
		out.AccessOrgIDs = []string{}
	}
	if out.AccessRules == nil {
		out.AccessRules = []apps.AccessRule{}
	}
	return out
}

type appIDResponse struct {
	ApplicationID string `json:"application_id"`
}

// createApp is POST /api/v2/tenant/applications: 201 with the secret.
func (a *API) createApp(w http.ResponseWriter, r *http.Request) error {
	var in apps.AppWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	app, err := a.Apps.Register(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.appRead(app))
	return nil
}

// getApp is GET /api/v2/tenant/applications/{application_id}.
func (a *API) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.Apps.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.appRead(app))
	return nil
}

type appList struct {
	Total        int       `json:"total"`
	Applications []appRead `json:"applications"`
}

// listApps is GET /api/v2/tenant/applications?offset=&limit=.
func (a *API) listApps(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.Apps.List(r.Context(), tenant.FromContext(r.Context()).ID, offset*limit, limit)
	if err != nil {
		return err
	}
	out := appList{Total: total, Applications: make([]appRead, len(list))}
	for i, app := range list {
		out.Applications[i] = a.appRead(app)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateApp is PUT /api/v2/tenant/applications/{application_id}: 200 with
// the application; omitted fields keep their value.
func (a *API) updateApp(w http.ResponseWriter, r *http.Request) error {
	var in apps.AppWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	app, err := a.Apps.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.appRead(app))
	return nil
}

func (a *API) enableApp(w http.ResponseWriter, r *http.Request) error {
	return a.setAppDisabled(w, r, false)
}
func (a *API) disableApp(w http.ResponseWriter, r *http.Request) error {
	return a.setAppDisabled(w, r, true)
}

func (a *API) setAppDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id := r.PathValue("application_id")
	if err := a.Apps.SetDisabled(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, disabled); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appIDResponse{id})
	return nil
}

// deleteApp is DELETE /api/v2/tenant/applications/{application_id}: 204.
func (a *API) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := a.Apps.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type secretResponse struct {
	ClientSecret       string  `json:"client_secret"`
	PreviousValidUntil *string `json:"previous_valid_until"`
}

// newAppSecret is POST …/{application_id}/secret: 201 with the new secret;
// the previous one stays valid for previous_valid_for seconds (body, default
// 86400; 0 ends it at once).
func (a *API) newAppSecret(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		PreviousValidFor opt.Value[int] `json:"previous_valid_for"`
	}
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	overlap := 24 * time.Hour
	if in.PreviousValidFor.Set && !in.PreviousValidFor.Null {
		overlap = time.Duration(in.PreviousValidFor.V) * time.Second
	}
	sec, until, err := a.Apps.NewSecret(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), overlap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, secretResponse{ClientSecret: sec, PreviousValidUntil: a.stamp(until)})
	return nil
}
