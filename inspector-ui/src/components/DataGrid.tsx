import { memo, useRef, type KeyboardEvent, type ReactNode } from 'react'
import {
  createSortedRowModel,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  sortFn_text,
  tableFeatures,
  useTable,
  type ColumnDef,
  type RowData,
  type SortingState,
} from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'

export interface GridMeta {
  /** A grid-template-columns track, e.g. `120px` or `minmax(8rem, 2fr)`. */
  width?: string
  align?: 'right'
  mono?: boolean
}

export const gridFeatures = tableFeatures({
  rowSortingFeature,
  sortedRowModel: createSortedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic, text: sortFn_text },
  columnMeta: {} as GridMeta,
})

export type GridFeatures = typeof gridFeatures
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GridColumn<T extends RowData> = ColumnDef<GridFeatures, T, any>

export interface DataGridProps<T extends RowData> {
  /** Keep stable (module scope or memoised): new columns rebuild the table. */
  columns: GridColumn<T>[]
  data: T[]
  getRowId: (row: T) => string
  label: string
  onRowClick?: (row: T) => void
  selectedId?: string | undefined
  rowHeight?: number
  initialSorting?: SortingState
  testId?: string
  rowTestId?: string
  /** Extra attributes per row, e.g. `data-sid` for tests. */
  rowAttributes?: (row: T) => Record<string, string | undefined>
  rowClassName?: (row: T) => string | undefined
  empty?: ReactNode
  /** Fixed height in px; otherwise the grid fills its flex parent. */
  height?: number
}

const EMPTY_SORTING: SortingState = []

/**
 * A sortable, row-virtualised grid (TanStack Table + Virtual): only the visible rows are in the
 * DOM, so 10,000 sessions scroll as smoothly as ten.
 */
function DataGridImpl<T extends RowData>(props: DataGridProps<T>) {
  const { columns, data, getRowId, rowHeight = 30 } = props
  const table = useTable({
    features: gridFeatures,
    columns,
    data,
    getRowId,
    initialState: { sorting: props.initialSorting ?? EMPTY_SORTING },
    enableSortingRemoval: true,
  })
  const rows = table.getRowModel().rows
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => rows[index]?.id ?? index,
    overscan: 12,
  })

  const template = table
    .getAllLeafColumns()
    .map((c) => c.columnDef.meta?.width ?? 'minmax(6rem, 1fr)')
    .join(' ')

  const cellClass = (meta: GridMeta | undefined) =>
    `ssi-cell${meta?.align === 'right' ? ' ssi-right' : ''}${meta?.mono ? ' ssi-mono' : ''}`

  const onKey = (event: KeyboardEvent, row: T) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      props.onRowClick?.(row)
    }
  }

  return (
    <div
      className="ssi-grid"
      role="table"
      aria-label={props.label}
      aria-rowcount={rows.length}
      data-testid={props.testId}
      style={{ ['--ssi-grid-template' as string]: template, height: props.height }}
    >
      {table.getHeaderGroups().map((group) => (
        <div className="ssi-grid-head" role="row" key={group.id}>
          {group.headers.map((header) => {
            const sorted = header.column.getIsSorted()
            const canSort = header.column.getCanSort()
            return (
              <div
                key={header.id}
                role="columnheader"
                aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                className={`${cellClass(header.column.columnDef.meta)}${canSort ? ' ssi-sortable' : ''}`}
                onClick={canSort ? header.column.getToggleSortingHandler() : undefined}
                tabIndex={canSort ? 0 : undefined}
                onKeyDown={
                  canSort
                    ? (e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault()
                          header.column.toggleSorting()
                        }
                      }
                    : undefined
                }
              >
                {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                {sorted ? <span className="ssi-sort-mark">{sorted === 'asc' ? '▲' : '▼'}</span> : null}
              </div>
            )
          })}
        </div>
      ))}
      <div className="ssi-grid-body" ref={scrollRef}>
        {rows.length === 0 ? (
          <div className="ssi-empty">{props.empty ?? 'Nothing here.'}</div>
        ) : (
          <div className="ssi-grid-space" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]!
              const original = row.original
              const selected = props.selectedId !== undefined && row.id === props.selectedId
              const extra = props.rowClassName?.(original)
              return (
                <div
                  key={row.id}
                  role="row"
                  aria-rowindex={item.index + 1}
                  aria-selected={props.onRowClick ? selected : undefined}
                  className={`ssi-grid-row${selected ? ' ssi-selected' : ''}${props.onRowClick ? ' ssi-clickable' : ''}${extra ? ` ${extra}` : ''}`}
                  style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                  data-testid={props.rowTestId}
                  {...props.rowAttributes?.(original)}
                  tabIndex={props.onRowClick ? 0 : undefined}
                  onClick={props.onRowClick ? () => props.onRowClick!(original) : undefined}
                  onKeyDown={props.onRowClick ? (e) => onKey(e, original) : undefined}
                >
                  {row.getAllCells().map((cell) => (
                    <div key={cell.id} role="cell" className={cellClass(cell.column.columnDef.meta)}>
                      <table.FlexRender cell={cell} />
                    </div>
                  ))}
                </div>
              )
            })}
          </div>
        )}
      </div>
    </div>
  )
}

/** Memoised: the inspector re-renders on every feed batch; a grid whose props did not change skips it. */
export const DataGrid = memo(DataGridImpl) as typeof DataGridImpl
