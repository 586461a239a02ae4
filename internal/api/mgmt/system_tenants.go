package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// tenantCreated is what tenant creation prints and answers (GATEHOUSE-API.md).
type tenantCreated struct {
	TenantID        string `json:"tenant_id"`
	Domain          string `json:"domain"`
	APIClientID     string `json:"api_client_id"`
	APIClientSecret string `json:"api_client_secret"`
}

type tenantRead struct {
	TenantID  string  `json:"tenant_id"`
	Name      string  `json:"name"`
	Domain    *string `json:"domain"`
	CreatedAt *string `json:"created_at"`
}

func (a *API) tenantRead(t *storage.Tenant) tenantRead {
	return tenantRead{TenantID: t.ID, Name: t.Name, Domain: strOrNil(t.Domain), CreatedAt: a.stamp(t.CreatedAt)}
}

// createTenant is POST /api/v2/system/tenants {name, domain}: 201 with the
// tenant's first API client (its secret shown only here).
func (a *API) createTenant(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   opt.String `json:"name"`
		Domain opt.String `json:"domain"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	c, err := a.Tenants.Create(r.Context(), actor(r), in.Name.V, in.Domain.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tenantCreated{c.Tenant.ID, c.Tenant.Domain, c.Client.ClientID, c.Client.Secret})
	return nil
}

type tenantList struct {
	Total   int          `json:"total"`
	Tenants []tenantRead `json:"tenants"`
}

// listTenants is GET /api/v2/system/tenants?offset=&limit=.
func (a *API) listTenants(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	all, err := a.Tenants.List(r.Context())
	if err != nil {
		return err
	}
	out := tenantList{Total: len(all), Tenants: []tenantRead{}}
	for i := offset * limit; i < len(all) && i < (offset+1)*limit; i++ {
		out.Tenants = append(out.Tenants, a.tenantRead(&all[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getTenant is GET /api/v2/system/tenants/{tenant_id}.
func (a *API) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := a.Tenants.Get(r.Context(), r.PathValue("tenant_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.tenantRead(t))
	return nil
}

// deleteTenant is DELETE /api/v2/system/tenants/{tenant_id}: 204; every row
// of the tenant goes with it.
func (a *API) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := a.Tenants.Delete(r.Context(), actor(r), r.PathValue("tenant_id")); err != nil {
		return err
	}
	if a.Keys != nil {
		a.Keys.Forget(r.PathValue("tenant_id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
