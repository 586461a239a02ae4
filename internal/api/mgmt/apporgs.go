package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// Application organisations at OneAccess's paths (3.2). The create body
// says org_code where the tenant's organisations say code.

type appOrgRead struct {
	OrgID       string  `json:"org_id"`
	OrgCode     string  `json:"org_code"`
	Name        string  `json:"name"`
	ParentID    *string `json:"parent_id"`
	MappedOrgID *string `json:"mapped_org_id"`
}

func toAppOrgRead(o *storage.AppOrg) appOrgRead {
	return appOrgRead{OrgID: o.ID, OrgCode: o.Code, Name: o.Name, ParentID: strOrNil(o.ParentID), MappedOrgID: strOrNil(o.MappedOrgID)}
}

// createAppOrg is POST …/{application_id}/organizations: 201 {org_id}.
func (a *API) createAppOrg(w http.ResponseWriter, r *http.Request) error {
	var in apps.AppOrgWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id, err := a.AppOrgs.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, orgIDResponse{id})
	return nil
}

// updateAppOrg is PUT …/organizations/{org_id} {name, parent_id}: 200.
func (a *API) updateAppOrg(w http.ResponseWriter, r *http.Request) error {
	var in apps.AppOrgWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id := r.PathValue("org_id")
	if err := a.AppOrgs.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), id, &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgIDResponse{id})
	return nil
}

// deleteAppOrg is DELETE …/organizations/{org_id}: 204.
func (a *API) deleteAppOrg(w http.ResponseWriter, r *http.Request) error {
	if err := a.AppOrgs.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), r.PathValue("org_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getAppOrg is GET …/organizations/{org_id}.
func (a *API) getAppOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := a.AppOrgs.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAppOrgRead(o))
	return nil
}

type appOrgList struct {
	Total         int          `json:"total"`
	Organizations []appOrgRead `json:"organizations"`
}

// listAppOrgs is GET …/organizations?offset=&limit=.
func (a *API) listAppOrgs(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.AppOrgs.List(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), offset*limit, limit)
	if err != nil {
		return err
	}
	out := appOrgList{Total: total, Organizations: make([]appOrgRead, len(list))}
	for i := range list {
		out.Organizations[i] = toAppOrgRead(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
