select method, status, count(*) as payments, sum(amount) as amount
from {{ source('public', 'payments') }}
group by method, status
