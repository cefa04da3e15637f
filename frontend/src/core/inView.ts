// Whether a widget can be seen on the canvas, and where to put it when it cannot: pure
// geometry on screen boxes, for canvas/inView.ts.

export interface Box { left: number; top: number; right: number; bottom: number }

function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Whether `node` cannot be seen whole: partly outside `view`, or under one of `covers`. */
export function hidden(node: Box, view: Box, covers: Box[]): boolean {
  const outside = node.left < view.left || node.top < view.top || node.right > view.right || node.bottom > view.bottom;
  return outside || covers.some((c) => overlaps(node, c));
}

/** Where, on screen, to put the middle of a hidden widget: the middle of the part of the
 * view that the covers in its corners leave free (beside the map, below the toolbar). */
export function clearSpot(view: Box, covers: Box[]): { x: number; y: number } {
  let { left, right, top, bottom } = view;
  const midX = (view.left + view.right) / 2;
  const midY = (view.top + view.bottom) / 2;
  for (const c of covers) {
    // A cover in a corner takes its width from that side, or its height if that leaves more room.
    const onRight = c.left > midX;
    const onBottom = c.top > midY;
    const byWidth = onRight ? (c.left - left) : (right - c.right);
    const byHeight = onBottom ? (c.top - top) : (bottom - c.bottom);
    if (byWidth * (bottom - top) >= byHeight * (right - left)) {
      if (onRight) right = Math.min(right, c.left); else left = Math.max(left, c.right);
    } else if (onBottom) bottom = Math.min(bottom, c.top); else top = Math.max(top, c.bottom);
  }
  return { x: (left + right) / 2, y: (top + bottom) / 2 };
}
