select customer_id, email, full_name, region, segment, created_at
from {{ source('public', 'customers') }}
