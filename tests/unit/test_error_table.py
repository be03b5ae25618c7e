import grpc

from catalogservice import errors
from catalogservice.server import STATUS_BY_ERROR
from service_runtime.interceptors import status_for


def test_named_errors_map_through_the_table_including_subclasses():
    assert status_for(errors.OutOfStock("mug", "Mug", 2, 1), STATUS_BY_ERROR) == grpc.StatusCode.FAILED_PRECONDITION
    assert status_for(errors.ProductNotFound("x"), STATUS_BY_ERROR) == grpc.StatusCode.NOT_FOUND


def test_errors_outside_the_table_are_left_for_the_internal_error_path():
    assert status_for(KeyError("x"), STATUS_BY_ERROR) is None


def test_out_of_stock_names_the_product():
    assert "Enamel Mug is out of stock" in str(errors.OutOfStock("enamel-mug", "Enamel Mug", 3, 1))
