/** The drag-and-drop data type the palette sets and the canvas reads: a widget type to add. */
export const WIDGET_DRAG_TYPE = "application/x-flowstudio-widget";
