package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// Custom attribute definitions (object models), Gatehouse's own calls in
// OneAccess's style.

type attributeRead struct {
	AttributeID   string          `json:"attribute_id"`
	Entity        string          `json:"entity"`
	ApplicationID *string         `json:"application_id"`
	Name          string          `json:"name"`
	DisplayName   string          `json:"display_name"`
	Type          string          `json:"type"`
	Required      bool            `json:"required"`
	Unique        bool            `json:"unique"`
	Shown         bool            `json:"shown"`
	Editable      bool            `json:"editable"`
	Rules         json.RawMessage `json:"rules"`
	CreatedAt     *string         `json:"created_at"`
	UpdatedAt     *string         `json:"updated_at"`
}

func (a *API) attributeRead(d *storage.AttributeDef) attributeRead {
	rules := d.Rules
	if len(rules) == 0 {
		rules = json.RawMessage("{}")
	}
	return attributeRead{AttributeID: d.ID, Entity: d.Entity, ApplicationID: strOrNil(d.ApplicationID), Name: d.Name,
		DisplayName: d.DisplayName, Type: d.Type, Required: d.Required, Unique: d.Unique, Shown: d.Shown, Editable: d.Editable,
		Rules: rules, CreatedAt: a.stamp(d.CreatedAt), UpdatedAt: a.stamp(d.UpdatedAt)}
}

// createAttribute is POST /api/v2/tenant/attributes: 201 with the definition.
func (a *API) createAttribute(w http.ResponseWriter, r *http.Request) error {
	var in objmodel.DefWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	d, err := a.Attributes.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.attributeRead(d))
	return nil
}

type attributeList struct {
	Total      int             `json:"total"`
	Attributes []attributeRead `json:"attributes"`
}

// listAttributes is GET /api/v2/tenant/attributes?entity=&application_id=.
func (a *API) listAttributes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	entity := q.Get("entity")
	if entity == "" {
		entity = storage.EntityUser
	}
	list, err := a.Attributes.List(r.Context(), tenant.FromContext(r.Context()).ID, entity, q.Get("application_id"))
	if err != nil {
		return err
	}
	out := attributeList{Total: len(list), Attributes: make([]attributeRead, len(list))}
	for i := range list {
		out.Attributes[i] = a.attributeRead(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getAttribute is GET /api/v2/tenant/attributes/{attribute_id}.
func (a *API) getAttribute(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Attributes.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("attribute_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.attributeRead(d))
	return nil
}

// updateAttribute is PUT /api/v2/tenant/attributes/{attribute_id}: 200.
func (a *API) updateAttribute(w http.ResponseWriter, r *http.Request) error {
	var in objmodel.DefWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	d, err := a.Attributes.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("attribute_id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.attributeRead(d))
	return nil
}

// deleteAttribute is DELETE /api/v2/tenant/attributes/{attribute_id}: 204.
func (a *API) deleteAttribute(w http.ResponseWriter, r *http.Request) error {
	if err := a.Attributes.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("attribute_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
