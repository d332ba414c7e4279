select i.order_id,
       i.line_no,
       i.product_id,
       i.quantity,
       i.unit_price,
       i.quantity * i.unit_price as line_amount
from {{source('public','order_items')}} i
