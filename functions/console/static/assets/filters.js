// The incident list's filters: to and from the page's query string and the API's, and saved views.

// `tag` is the list filter of DESIGN's "Signals and context": one tag, as the API takes it.
export const FILTER_FIELDS = ["status", "severity", "service", "environment", "tag", "assignee", "q", "sort"];
const LISTS = new Set(["status", "severity"]);

/** Filters from a query string ("?status=open,acknowledged&q=checkout"). */
export function parseFilters(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const field of FILTER_FIELDS) {
    const value = params.get(field);
    if (value === null || value.trim() === "") continue;
    filters[field] = LISTS.has(field) ? value.split(",").filter(Boolean) : value.trim();
  }
  return filters;
}

/** The query string for filters (the page's and the API's are the same), empty values left out, in a
 * stable order so that equal filters give equal strings. */
export function filtersToQuery(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = filters[field];
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) continue;
    if (field === "sort" && value === "created") continue;
    params.set(field, Array.isArray(value) ? value.join(",") : String(value).trim());
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  return params.toString();
}

/** Saved views, kept in the browser (localStorage or any Storage-like object). */
export class SavedViews {
  constructor(storage, key = "stormwatch.views") {
    this.storage = storage;
    this.key = key;
  }

  all() {
    try {
      const views = JSON.parse(this.storage.getItem(this.key) || "[]");
      return Array.isArray(views) ? views.filter((view) => view && typeof view.name === "string") : [];
    } catch {
      return [];
    }
  }

  save(name, filters) {
    const views = this.all().filter((view) => view.name !== name);
    views.push({ name, query: filtersToQuery(filters) });
    views.sort((a, b) => a.name.localeCompare(b.name));
    this.storage.setItem(this.key, JSON.stringify(views));
    return views;
  }

  remove(name) {
    const views = this.all().filter((view) => view.name !== name);
    this.storage.setItem(this.key, JSON.stringify(views));
    return views;
  }
}
