select payment_id, order_id, method, amount, status, paid_at, updated_at
from {{ source('public', 'payments') }}
