/** A category as cached in the tree (flat, with its parent). */
export interface Category {
  readonly id: number;
  readonly parentId: number | null;
  readonly name: string;
  readonly slug: string;
}

/** A category with its children, for `GET /categories`. */
export interface CategoryNode extends Category {
  readonly children: CategoryNode[];
}

/** The root-to-leaf path of a category (breadcrumbs of a product page); empty when unknown. */
export function categoryPath(all: readonly Category[], id: number): Category[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const path: Category[] = [];
  for (
    let c = byId.get(id);
    c && path.length <= all.length;
    c = c.parentId === null ? undefined : byId.get(c.parentId)
  ) {
    path.unshift(c);
  }
  return path;
}

/** A category and all its descendants, for a listing filtered by a department. */
export function categoryAndDescendants(all: readonly Category[], id: number): number[] {
  const ids = [id];
  for (let i = 0; i < ids.length; i++) {
    for (const c of all) if (c.parentId === ids[i]) ids.push(c.id);
  }
  return ids;
}

/** The flat list as a forest. */
export function categoryForest(all: readonly Category[]): CategoryNode[] {
  const nodes = new Map<number, CategoryNode>(all.map((c) => [c.id, { ...c, children: [] }]));
  const roots: CategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
