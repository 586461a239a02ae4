package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// orgRead is ONEACCESS-API.md 3.1.4's shape: the write field "code" reads
// back as "org_code", and parent_id is null for a root.
type orgRead struct {
	OrgID    string  `json:"org_id"`
	OrgCode  string  `json:"org_code"`
	Name     string  `json:"name"`
	ParentID *string `json:"parent_id"`
	Category string  `json:"category"`
}

func toOrgRead(o *storage.Organization) orgRead {
	return orgRead{OrgID: o.ID, OrgCode: o.Code, Name: o.Name, ParentID: strOrNil(o.ParentID), Category: o.Category}
}

type orgIDResponse struct {
	OrgID string `json:"org_id"`
}

// createOrg is POST /api/v2/tenant/organizations (3.1.1): 201 {org_id}.
func (a *API) createOrg(w http.ResponseWriter, r *http.Request) error {
	var in directory.OrgWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id, err := a.Orgs.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, orgIDResponse{id})
	return nil
}

// updateOrg is PUT /api/v2/tenant/organizations/{org_id} (3.1.2): 200 {org_id}.
func (a *API) updateOrg(w http.ResponseWriter, r *http.Request) error {
	var in directory.OrgWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id := r.PathValue("org_id")
	if err := a.Orgs.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgIDResponse{id})
	return nil
}

// deleteOrg is DELETE /api/v2/tenant/organizations/{org_id} (3.1.3): 204;
// ?cascade=true also deletes the subtree and its memberships.
func (a *API) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	cascade, err := boolParam(r, "cascade")
	if err != nil {
		return err
	}
	if err := a.Orgs.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("org_id"), cascade); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getOrg is GET /api/v2/tenant/organizations/{org_id} (3.1.4).
func (a *API) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := a.Orgs.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("org_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOrgRead(o))
	return nil
}

type orgList struct {
	Total         int       `json:"total"`
	Organizations []orgRead `json:"organizations"`
}

// listOrgs is GET /api/v2/tenant/organizations (3.1.5): org_id, all_child,
// offset (page index), limit.
func (a *API) listOrgs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	all, err := boolParam(r, "all_child")
	if err != nil {
		return err
	}
	list, total, err := a.Orgs.List(r.Context(), tenant.FromContext(r.Context()).ID, q.Get("org_id"), all, offset*limit, limit)
	if err != nil {
		return err
	}
	out := orgList{Total: total, Organizations: make([]orgRead, len(list))}
	for i := range list {
		out.Organizations[i] = toOrgRead(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, failure.Invalidf("COMMON.0001", name, "The %s must be true or false.", name)
}
